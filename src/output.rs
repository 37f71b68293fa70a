//! All human-facing output: stdout lines and JSON for scripts; messages,
//! spinners and prompts on stderr. Nothing else in the crate prints.
//!
//! A closed stdout (`mcp-auth tokens list | head`) surfaces as
//! [`Error::BrokenPipe`], which ends the program quietly with status 0.
// This module is the one place that prints (lib.rs denies it elsewhere).
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::io::{IsTerminal, Write};
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct Printer {
    /// When set, nothing but the requested data goes to stdout and no
    /// spinner is drawn.
    quiet: bool,
}

impl Printer {
    pub fn new() -> Printer {
        Printer::default()
    }

    pub fn quiet(mut self, quiet: bool) -> Printer {
        self.quiet = quiet;
        self
    }

    pub fn stdout_is_terminal() -> bool {
        std::io::stdout().is_terminal()
    }

    /// True when a person can answer a question: stdin and stderr are both
    /// terminals and this is not a CI run.
    pub fn interactive() -> bool {
        std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
    }

    /// One line of data on stdout.
    pub fn line(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")
            .and_then(|_| out.flush())
            .map_err(|e| Error::io("cannot write to stdout", e))
    }

    /// Pretty JSON on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
        self.line(&text)
    }

    /// A pretty JSON array on stdout written an item at a time, for lists
    /// too long to build first (`tokens list --json` of every credential).
    /// The text is what [`Printer::json`] prints for the whole list.
    pub fn json_array(&self) -> Result<JsonArray> {
        JsonArray::start(b"[", 1)
    }

    /// A pretty JSON object on stdout whose first field, `field`, is an
    /// array written an item at a time; [`JsonArray::finish_object`] adds
    /// the other fields once they are known (`tokens prune --json`, whose
    /// list of names can be a million long and whose counts come last).
    pub fn json_object_with_array(&self, field: &str) -> Result<JsonArray> {
        let mut head = b"{\n  ".to_vec();
        serde_json::to_writer(&mut head, field).map_err(json_error)?;
        head.extend_from_slice(b": [");
        JsonArray::start(&head, 2)
    }

    /// A table on stdout. At a terminal its width follows the terminal's
    /// (cells wrap); into a pipe or file it is the same text without
    /// wrapping, written straight from the cells, since that is where a
    /// table of ten thousand credentials goes (`tokens list | grep`).
    pub fn table(&self, header: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
        if !Printer::stdout_is_terminal() {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            plain_table(&mut out, header, &rows)
                .and_then(|()| out.flush())
                .map_err(stdout_error)?;
            return Ok(());
        }
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_HORIZONTAL_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(header.iter().copied());
        for row in rows {
            table.add_row(row);
        }
        self.line(&table.to_string())
    }

    /// A table on stdout written a row at a time, for tables too long to
    /// hold (`audit` of a large log): the caller measures its cells first
    /// ([`cell_width`]; `widths` are the widest of each column) and the
    /// text is what [`Printer::table`] writes into a pipe, without wrapping
    /// at a terminal too.
    pub fn table_stream(&self, header: &[&str], widths: Vec<usize>) -> Result<TableStream> {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        let table = PlainTable::start(&mut out, header, widths).map_err(stdout_error)?;
        Ok(TableStream { out, table })
    }

    /// A key/value listing on stdout (`tokens show`).
    pub fn fields(&self, fields: &[(&str, String)]) -> Result<()> {
        let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let text = fields
            .iter()
            .map(|(k, v)| format!("{k:>width$}  {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        self.line(&text)
    }

    /// A message for the person, on stderr.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A failure of one item among several, on stderr even when quiet.
    pub fn problem(&self, text: &str) {
        eprintln!("failed: {text}");
    }

    /// A warning, on stderr even when quiet.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    /// The error a command ended with, on stderr even when quiet.
    pub fn error(text: &str) {
        eprintln!("error: {text}");
    }

    /// A spinner on stderr while something slow happens; hidden when stderr
    /// is not a terminal (the message is printed once instead).
    pub fn spinner(&self, message: &str) -> Spinner {
        if self.quiet {
            return Spinner(None);
        }
        if !std::io::stderr().is_terminal() {
            eprintln!("{message}");
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(Some(bar))
    }

    /// Asks a yes/no question on the terminal; `default` is the answer to an
    /// empty line. Fails when no person can answer.
    pub fn confirm(&self, question: &str, default: bool) -> Result<bool> {
        if !Printer::interactive() {
            return Err(Error::Usage(format!(
                "{question}: no terminal to ask on; pass --yes to proceed"
            )));
        }
        let hint = if default { "[Y/n]" } else { "[y/N]" };
        eprint!("{question} {hint} ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Error::io("cannot read the answer", e))?;
        Ok(match answer.trim().to_ascii_lowercase().as_str() {
            "" => default,
            "y" | "yes" => true,
            _ => false,
        })
    }
}

/// See [`Printer::json_array`]: items are written as they come, through a
/// buffer, so memory stays flat however many there are.
pub struct JsonArray {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    /// Nesting of the items: 1 in a top-level array, 2 in an object's.
    depth: usize,
    items: usize,
    item: Vec<u8>,
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Other(format!("cannot encode JSON: {e}"))
}

fn stdout_error(e: std::io::Error) -> Error {
    Error::io("cannot write to stdout", e)
}

impl JsonArray {
    fn start(head: &[u8], depth: usize) -> Result<JsonArray> {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        out.write_all(head).map_err(stdout_error)?;
        Ok(JsonArray {
            out,
            depth,
            items: 0,
            item: Vec::new(),
        })
    }

    /// Writes the item in `self.item` (pretty JSON), each of its lines
    /// indented to its place.
    fn write_item(&mut self) -> Result<()> {
        let pad = self.depth * 2;
        let mut rest = &self.item[..];
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.out.write_all(&rest[..=i]).map_err(stdout_error)?;
            write!(self.out, "{:pad$}", "").map_err(stdout_error)?;
            rest = &rest[i + 1..];
        }
        self.out.write_all(rest).map_err(stdout_error)
    }

    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.item.clear();
        serde_json::to_writer_pretty(&mut self.item, value).map_err(json_error)?;
        let sep: &[u8] = if self.items == 0 { b"\n" } else { b",\n" };
        self.out.write_all(sep).map_err(stdout_error)?;
        write!(self.out, "{:pad$}", "", pad = self.depth * 2).map_err(stdout_error)?;
        self.write_item()?;
        self.items += 1;
        Ok(())
    }

    fn close_array(&mut self) -> Result<()> {
        if self.items > 0 {
            let pad = (self.depth - 1) * 2;
            write!(self.out, "\n{:pad$}", "").map_err(stdout_error)?;
        }
        self.out.write_all(b"]").map_err(stdout_error)
    }

    /// Ends a top-level array.
    pub fn finish(mut self) -> Result<()> {
        self.close_array()?;
        self.out.write_all(b"\n").map_err(stdout_error)?;
        self.out.flush().map_err(stdout_error)
    }

    /// Ends the array and the object around it, adding the fields of
    /// `rest` (an object) after it.
    pub fn finish_object<T: Serialize>(mut self, rest: &T) -> Result<()> {
        self.close_array()?;
        self.item.clear();
        serde_json::to_writer_pretty(&mut self.item, rest).map_err(json_error)?;
        // `{\n  "a": 1\n}` goes on after `],` without its brace; an
        // object without fields is `{}`.
        match self.item.strip_prefix(b"{") {
            Some(fields) if fields.len() > 1 => {
                self.out.write_all(b",").map_err(stdout_error)?;
                self.out.write_all(fields).map_err(stdout_error)?;
            }
            _ => self.out.write_all(b"\n}").map_err(stdout_error)?,
        }
        self.out.write_all(b"\n").map_err(stdout_error)?;
        self.out.flush().map_err(stdout_error)
    }
}

/// The text `comfy_table` makes of `header` and `rows` with the
/// `ASCII_HORIZONTAL_ONLY` style and no wrapping, character for character,
/// in one pass over the cells (the unit test compares the two).
fn plain_table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| cell_width(h)).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell_width(c));
        }
    }
    let mut table = PlainTable::start(out, header, widths)?;
    for row in rows {
        table.row(out, row)?;
    }
    table.end(out)
}

/// The width a cell takes in a table, in terminal columns: that of its
/// first line (see [`PlainTable`]). Callers of [`Printer::table_stream`]
/// measure their cells with it.
pub fn cell_width(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    first_line(s).width()
}

// comfy_table shows a cell's lines one under the other; these cells have
// one line, except by accident, which it would also wrap: keep the first
// line so the columns stay aligned.
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// [`plain_table`] a row at a time, its column widths known beforehand.
struct PlainTable {
    widths: Vec<usize>,
    /// Each cell has a space of padding on both sides and columns are
    /// separated by one more space; rows by a line this long.
    total: usize,
    rows: usize,
}

impl PlainTable {
    fn start(
        out: &mut dyn Write,
        header: &[&str],
        widths: Vec<usize>,
    ) -> std::io::Result<PlainTable> {
        let widths: Vec<usize> = widths
            .iter()
            .zip(header)
            .map(|(w, h)| (*w).max(cell_width(h)))
            .collect();
        let total = widths.iter().map(|w| w + 2).sum::<usize>() + widths.len().saturating_sub(1);
        let table = PlainTable {
            widths,
            total,
            rows: 0,
        };
        table.line(out, "-")?;
        table.write_row(out, &mut header.iter().copied())?;
        table.line(out, "=")?;
        Ok(table)
    }

    fn line(&self, out: &mut dyn Write, fill: &str) -> std::io::Result<()> {
        out.write_all(fill.repeat(self.total).as_bytes())?;
        out.write_all(b"\n")
    }

    fn write_row(
        &self,
        out: &mut dyn Write,
        cells: &mut dyn Iterator<Item = &str>,
    ) -> std::io::Result<()> {
        for (i, (c, w)) in cells.zip(&self.widths).enumerate() {
            let sep = if i == 0 { " " } else { "   " };
            // A cell wider than measured (a caller's mistake) pushes the
            // rest of its row right rather than failing.
            let pad = w.saturating_sub(cell_width(c));
            write!(out, "{sep}{}{:pad$}", first_line(c), "")?;
        }
        out.write_all(b" \n")
    }

    fn row(&mut self, out: &mut dyn Write, cells: &[String]) -> std::io::Result<()> {
        if self.rows > 0 {
            self.line(out, "-")?;
        }
        self.rows += 1;
        self.write_row(out, &mut cells.iter().map(String::as_str))
    }

    fn end(&self, out: &mut dyn Write) -> std::io::Result<()> {
        self.line(out, "-")
    }
}

/// See [`Printer::table_stream`].
pub struct TableStream {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    table: PlainTable,
}

impl TableStream {
    pub fn row(&mut self, cells: &[String]) -> Result<()> {
        self.table.row(&mut self.out, cells).map_err(stdout_error)
    }

    pub fn finish(mut self) -> Result<()> {
        self.table.end(&mut self.out).map_err(stdout_error)?;
        self.out.flush().map_err(stdout_error)
    }
}

pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_table_is_comfy_tables_text() {
        let header = ["NAME", "USER", "SCOPES", "LAST USED"];
        let rows = vec![
            vec![
                "gh".to_string(),
                "ünïcødé-user".into(),
                "".into(),
                "never".into(),
            ],
            vec![
                "a-much-longer-name".into(),
                "-".into(),
                "read write".into(),
                "in 5m".into(),
            ],
        ];
        let mut table = Table::new();
        table
            .load_style(presets::ASCII_HORIZONTAL_ONLY)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header.iter().copied());
        for row in &rows {
            table.add_row(row.clone());
        }
        let mut out = Vec::new();
        plain_table(&mut out, &header, &rows).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{table}\n"));

        // Streamed with widths measured beforehand: the same text.
        let widths = (0..header.len())
            .map(|i| rows.iter().map(|r| cell_width(&r[i])).max().unwrap())
            .collect();
        let mut streamed = Vec::new();
        let mut t = PlainTable::start(&mut streamed, &header, widths).unwrap();
        for row in &rows {
            t.row(&mut streamed, row).unwrap();
        }
        t.end(&mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), format!("{table}\n"));
    }
}
