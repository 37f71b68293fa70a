//! Text that came from a server, made safe to show.
//!
//! Error codes, descriptions, device codes and page titles are written to a
//! terminal or to an MCP host's log file. A server that puts escape
//! sequences in them could move the cursor, rewrite lines, change the
//! window title or hide text (bidirectional overrides), so they pass through
//! [`printable`] on their way in, before anything stores or shows them.

/// `s` without control characters (C0, C1, DEL) and without the Unicode
/// bidirectional controls, line breaks and tabs turned into spaces, cut to
/// `max_chars` characters (an ellipsis marks a cut).
pub fn printable(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut taken = 0;
    for c in s.chars() {
        let c = match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() || is_bidi_control(c) => continue,
            c => c,
        };
        if taken == max_chars {
            out.push('…');
            break;
        }
        out.push(c);
        taken += 1;
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
        assert_eq!(printable("ab\u{1b}[2Jcd", 100), "ab[2Jcd");
        assert_eq!(printable("\u{1b}]0;title\u{7}x", 100), "]0;titlex");
        assert_eq!(printable("a\u{9b}31mb", 100), "a31mb");
        assert_eq!(printable("x\u{202e}gpj.exe", 100), "xgpj.exe");
        assert_eq!(printable("line1\nline2\r\tz", 100), "line1 line2  z");
        assert_eq!(printable("a\u{7f}b\u{0}c", 100), "abc");
    }

    #[test]
    fn long_text_is_cut_with_a_mark() {
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("abc", 3), "abc");
        assert_eq!(printable("ééé", 2), "éé…");
    }
}
