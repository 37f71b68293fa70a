//! Text that came from a server, made safe to show.
//!
//! Error codes, descriptions, device codes and page titles are written to a
//! terminal or to an MCP host's log file. A server that puts escape
//! sequences in them could move the cursor, rewrite lines, change the
//! window title or hide text (bidirectional overrides), so they pass through
//! [`printable`] on their way in, before anything stores or shows them.

/// `s` on one line: control characters (C0, C1, DEL: line breaks and
/// escape sequences' introducers) become spaces, the Unicode bidirectional
/// controls are dropped, runs of white space become one space, and the
/// result is cut to at most `max_chars` characters, the ellipsis that marks
/// a cut included.
pub fn printable(s: &str, max_chars: usize) -> String {
    let words = s
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>();
    let mut out = String::with_capacity(words.len().min(max_chars * 4));
    let mut chars = 0;
    for word in words.split_whitespace() {
        let sep = usize::from(chars > 0);
        let len = word.chars().count();
        if chars + sep + len > max_chars {
            let room = max_chars - chars;
            if room >= sep + 2 {
                // What fits of this word, then the mark.
                if sep == 1 {
                    out.push(' ');
                }
                out.extend(word.chars().take(room - sep - 1));
            } else if room == 0 {
                // The mark takes the place of the last character kept.
                out.pop();
            }
            out.push('…');
            return out;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
        chars += sep + len;
    }
    out
}

/// The explicit directional formatting characters (Unicode UAX #9 §2):
/// they reorder what follows them on screen, so text can show one thing and
/// be another ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_removed() {
        assert_eq!(printable("ab\u{1b}[2Jcd", 100), "ab [2Jcd");
        assert_eq!(printable("\u{1b}]0;title\u{7}x", 100), "]0;title x");
        assert_eq!(printable("a\u{9b}31mb", 100), "a 31mb");
        assert_eq!(printable("x\u{202e}gpj.exe", 100), "xgpj.exe");
        assert_eq!(printable(" line1\nline2\r\t z \n", 100), "line1 line2 z");
        assert_eq!(printable("a\u{7f}b", 100), "a b");
    }

    #[test]
    fn long_text_is_cut_with_a_mark() {
        assert_eq!(printable("abcdef", 3), "ab…");
        assert_eq!(printable("abc", 3), "abc");
        assert_eq!(printable("ééé", 2), "é…");
        assert_eq!(printable("ab cd", 3), "ab…");
        assert_eq!(printable("ab cdef", 5), "ab c…");
        assert_eq!(printable("ab cd", 5), "ab cd");
        for n in 1..20 {
            let long = "word ".repeat(50);
            assert!(printable(&long, n).chars().count() <= n, "{n}");
        }
    }
}
