//! The secrets file's format, read and rewritten as a stream.
//!
//! The file is `{"version": 1, "entries": {KEY: VALUE, ...}}`, pretty
//! printed, with its entries in ascending byte order of their keys (every
//! writer since the first keeps them so). A store with a million
//! credentials is a file of about 100 MB: it is never held in memory, not
//! even one copy of it. A reader looks at one entry at a time, and a
//! rewrite merges the old file with a sorted stream of edits into the new
//! one, in one pass and in constant memory, whatever the number of edits
//! (prune deletes a million keys in one rewrite).
//!
//! A file whose keys are out of order (edited by hand) is reported as
//! [`Aborted::Unsorted`], and the caller falls back to sorting it in memory
//! once; the rewrite leaves it sorted.
//!
//! Reading has two paths. The fast one walks the bytes of the shape this
//! module writes (`{"version": N, "entries": {"k": "v", ...}}`, any
//! whitespace) a buffer at a time, decodes each string with `serde_json`
//! and hands out the encoded value too, so a kept entry is copied without
//! being encoded again. Anything else (another field, another type, a
//! damaged file) sends the whole pass to `serde_json`'s streaming
//! deserializer, which reads every valid file and names what is wrong
//! with a damaged one; it is four times slower (it reads byte by byte
//! through `io::Read`), which matters at 100 MB.

use std::cmp::Ordering;
use std::fmt;
use std::io::{self, Read, Write};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::model::Secret;

/// What a reader of the entries wants next.
pub(super) enum Flow {
    Continue,
    Stop,
}

/// Why a pass over the file ended before its end.
#[derive(Debug)]
pub(super) enum Aborted {
    /// The file is not valid JSON of the expected shape; never quotes it.
    Damaged(serde_json::Error),
    /// Reading the file or writing the new one failed.
    Io(io::Error),
    /// The file's keys are not in ascending order.
    Unsorted,
    /// The edits were not in ascending order (a bug in the caller).
    EditsUnsorted,
    /// The fast reader met something other than the plain shape: read
    /// again with [`Reader::Serde`].
    Unrecognized,
}

/// One change to apply while rewriting: a new value for a key, or its
/// deletion.
pub(super) enum Edit {
    Put(Secret),
    Delete,
}

/// A source of edits in strictly ascending key order, pulled one at a time
/// while the file streams past, and restartable for the fallback pass.
pub(super) trait Edits {
    fn next(&mut self) -> io::Result<Option<(String, Edit)>>;
    fn restart(&mut self) -> io::Result<()>;
}

/// What a rewrite did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Rewritten {
    pub entries: usize,
    pub deleted: usize,
}

/// Calls `each` with every entry of `file` (a whole secrets file, possibly
/// empty), in file order, until it says stop.
pub(super) fn scan(
    file: impl Read,
    reader: Reader,
    each: &mut dyn FnMut(String, Secret) -> io::Result<Flow>,
) -> Result<(), Aborted> {
    let mut stopped_by_caller = false;
    let mut failure = None;
    let result = {
        let mut on_entry = |e: Entry<'_>| -> Result<(), ()> {
            let value = match e.value.secret() {
                Ok(v) => v,
                Err(aborted) => {
                    failure = Some(aborted);
                    return Err(());
                }
            };
            match each(e.key, value) {
                Ok(Flow::Continue) => Ok(()),
                Ok(Flow::Stop) => {
                    stopped_by_caller = true;
                    Err(())
                }
                Err(e) => {
                    failure = Some(Aborted::Io(e));
                    Err(())
                }
            }
        };
        read_entries(file, reader, &mut on_entry)
    };
    match result {
        Ok(()) => Ok(()),
        Err(_) if stopped_by_caller => Ok(()),
        Err(e) => Err(failure.unwrap_or(e)),
    }
}

/// Writes to `out` the file `old` (possibly empty) with `edits` applied:
/// entries stay in ascending key order, a `Put` replaces or inserts, a
/// `Delete` drops its key if present.
pub(super) fn rewrite(
    old: impl Read,
    reader: Reader,
    out: &mut dyn Write,
    edits: &mut dyn Edits,
) -> Result<Rewritten, Aborted> {
    let mut w = Writer::begin(out).map_err(Aborted::Io)?;
    let mut pending = edits.next().map_err(Aborted::Io)?;
    let mut previous: Option<String> = None;
    let mut deleted = 0;
    let mut failure = None;
    {
        let mut on_entry = |e: Entry<'_>| -> Result<(), ()> {
            let Entry { key, value } = e;
            let step = || -> Result<(), Aborted> {
                if previous.as_deref().is_some_and(|p| p >= key.as_str()) {
                    return Err(Aborted::Unsorted);
                }
                // Edits before this key are insertions (or deletions of
                // keys the file does not have).
                while let Some((k, _)) = &pending
                    && k.as_str() < key.as_str()
                {
                    if let Some((k, Edit::Put(v))) = &pending {
                        w.entry(k, v).map_err(Aborted::Io)?;
                    }
                    pending = next_after(edits, pending.take())?;
                }
                match &pending {
                    Some((k, edit)) if *k == key => {
                        match edit {
                            Edit::Put(v) => w.entry(&key, v).map_err(Aborted::Io)?,
                            Edit::Delete => deleted += 1,
                        }
                        pending = next_after(edits, pending.take())?;
                    }
                    _ => value.write(&mut w, &key).map_err(Aborted::Io)?,
                }
                previous = Some(key);
                Ok(())
            };
            step().map_err(|e| failure = Some(e))
        };
        if let Err(e) = read_entries(old, reader, &mut on_entry) {
            return Err(failure.unwrap_or(e));
        }
    }
    while let Some((k, edit)) = &pending {
        if let Edit::Put(v) = edit {
            w.entry(k, v).map_err(Aborted::Io)?;
        }
        pending = next_after(edits, pending.take())?;
    }
    let entries = w.finish().map_err(Aborted::Io)?;
    Ok(Rewritten { entries, deleted })
}

/// Writes to `out` the entries of `old` that `keep` keeps, asking it in
/// ascending key order (so it can walk another sorted list beside them).
pub(super) fn retain(
    old: impl Read,
    reader: Reader,
    out: &mut dyn Write,
    keep: &mut dyn FnMut(&str) -> io::Result<bool>,
) -> Result<Rewritten, Aborted> {
    let mut w = Writer::begin(out).map_err(Aborted::Io)?;
    let mut previous: Option<String> = None;
    let mut deleted = 0;
    let mut failure = None;
    {
        let mut on_entry = |e: Entry<'_>| -> Result<(), ()> {
            let mut step = || -> Result<(), Aborted> {
                if previous.as_deref().is_some_and(|p| p >= e.key.as_str()) {
                    return Err(Aborted::Unsorted);
                }
                if keep(&e.key).map_err(Aborted::Io)? {
                    e.value.write(&mut w, &e.key).map_err(Aborted::Io)?;
                } else {
                    deleted += 1;
                }
                previous = Some(e.key.clone());
                Ok(())
            };
            step().map_err(|e| failure = Some(e))
        };
        if let Err(e) = read_entries(old, reader, &mut on_entry) {
            return Err(failure.unwrap_or(e));
        }
    }
    let entries = w.finish().map_err(Aborted::Io)?;
    Ok(Rewritten { entries, deleted })
}

/// The edit after `current`, checked to come after it.
fn next_after(
    edits: &mut dyn Edits,
    current: Option<(String, Edit)>,
) -> Result<Option<(String, Edit)>, Aborted> {
    let next = edits.next().map_err(Aborted::Io)?;
    if let (Some((a, _)), Some((b, _))) = (&current, &next)
        && a.as_str().cmp(b.as_str()) != Ordering::Less
    {
        return Err(Aborted::EditsUnsorted);
    }
    Ok(next)
}

/// Writes entries in the pretty format `serde_json` gives the whole file,
/// so a streamed file and one written at once are byte for byte the same.
pub(super) struct Writer<'a> {
    out: &'a mut dyn Write,
    entries: usize,
}

impl<'a> Writer<'a> {
    pub fn begin(out: &'a mut dyn Write) -> io::Result<Writer<'a>> {
        out.write_all(b"{\n  \"version\": 1,\n  \"entries\": {")?;
        Ok(Writer { out, entries: 0 })
    }

    pub fn entry(&mut self, key: &str, value: &Secret) -> io::Result<()> {
        let sep: &[u8] = if self.entries == 0 {
            b"\n    "
        } else {
            b",\n    "
        };
        self.out.write_all(sep)?;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.write_all(b": ")?;
        serde_json::to_writer(&mut *self.out, value.expose())?;
        self.entries += 1;
        Ok(())
    }

    /// An entry whose value is already encoded as a JSON string (copied
    /// from the old file).
    fn entry_encoded(&mut self, key: &str, encoded: &[u8]) -> io::Result<()> {
        let sep: &[u8] = if self.entries == 0 {
            b"\n    "
        } else {
            b",\n    "
        };
        self.out.write_all(sep)?;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.write_all(b": ")?;
        self.out.write_all(encoded)?;
        self.entries += 1;
        Ok(())
    }

    /// Closes the document; returns how many entries it has.
    pub fn finish(self) -> io::Result<usize> {
        let end: &[u8] = if self.entries == 0 {
            b"}\n}"
        } else {
            b"\n  }\n}"
        };
        self.out.write_all(end)?;
        Ok(self.entries)
    }
}

/// Which reader a pass uses (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    Fast,
    Serde,
}

/// One entry as read: its key, and its value decoded (the serde reader)
/// or still as encoded in the file (the fast reader: a rewrite copies a
/// kept value without decoding it, and only a reader of values decodes).
struct Entry<'a> {
    key: String,
    value: Value<'a>,
}

enum Value<'a> {
    Decoded(Secret),
    Encoded(&'a [u8]),
}

impl Value<'_> {
    fn secret(self) -> Result<Secret, Aborted> {
        match self {
            Value::Decoded(s) => Ok(s),
            Value::Encoded(token) => decode(token)
                .map(Secret::new)
                .map_err(|()| Aborted::Unrecognized),
        }
    }

    fn write(&self, w: &mut Writer<'_>, key: &str) -> io::Result<()> {
        match self {
            Value::Decoded(s) => w.entry(key, s),
            Value::Encoded(token) => w.entry_encoded(key, token),
        }
    }
}

/// Streams the entries of a whole file to `on_entry`; an empty file has
/// none. An `Err(())` from `on_entry` ends the pass (its reason is the
/// caller's to keep). The fast reader answers [`Aborted::Unrecognized`] for
/// anything but the plain shape, possibly after some entries: the caller
/// starts the pass again with [`Reader::Serde`].
fn read_entries(
    file: impl Read,
    reader: Reader,
    on_entry: &mut dyn FnMut(Entry<'_>) -> Result<(), ()>,
) -> Result<(), Aborted> {
    match reader {
        Reader::Fast => FastReader::new(file).read(on_entry),
        Reader::Serde => serde_read(file, on_entry),
    }
}

fn serde_read(
    file: impl Read,
    on_entry: &mut dyn FnMut(Entry<'_>) -> Result<(), ()>,
) -> Result<(), Aborted> {
    let mut file = io::BufReader::with_capacity(CHUNK, file);
    // An empty file is an empty store (a crash before the first write
    // leaves one); serde_json would call it an unexpected end.
    if io::BufRead::fill_buf(&mut file)
        .map_err(Aborted::Io)?
        .is_empty()
    {
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_reader(file);
    let mut interrupted = false;
    let mut plain = |key: String, value: Secret| {
        on_entry(Entry {
            key,
            value: Value::Decoded(value),
        })
    };
    let parsed = FileSeed {
        on_entry: &mut plain,
        interrupted: &mut interrupted,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match parsed {
        Ok(()) => Ok(()),
        // The caller's reason, not a damaged file.
        Err(_) if interrupted => Err(Aborted::Io(io::Error::other("interrupted"))),
        Err(e) if e.is_io() => Err(Aborted::Io(e.into())),
        Err(e) => Err(Aborted::Damaged(e)),
    }
}

/// Bytes read from the file at a time.
const CHUNK: usize = 256 * 1024;

/// The fast reader: a window on the file, refilled as the parse needs.
struct FastReader<R> {
    file: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

/// A parse of the bytes at hand: done (with how many bytes it used), or
/// wants more bytes; `Err` when the text is not the plain shape.
type Step<T> = Result<Option<(T, usize)>, ()>;

impl<R: Read> FastReader<R> {
    fn new(file: R) -> Self {
        FastReader {
            file,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            eof: false,
        }
    }

    /// Reads another chunk after the bytes not yet consumed; false at the
    /// end of the file.
    fn more(&mut self) -> Result<bool, Aborted> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        let len = self.buf.len();
        self.buf.resize(len + CHUNK, 0);
        let n = loop {
            match self.file.read(&mut self.buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Aborted::Io(e)),
            }
        };
        self.buf.truncate(len + n);
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Runs `parse` on the unread bytes, reading more until it is done;
    /// returns where its result starts in `buf` and the result.
    fn step<T>(&mut self, parse: impl Fn(&[u8]) -> Step<T>) -> Result<(usize, T), Aborted> {
        loop {
            match parse(&self.buf[self.pos..]) {
                Ok(Some((t, used))) => {
                    let at = self.pos;
                    self.pos += used;
                    return Ok((at, t));
                }
                Ok(None) => {
                    if !self.more()? {
                        // Truncated: the serde pass says so precisely.
                        return Err(Aborted::Unrecognized);
                    }
                }
                Err(()) => return Err(Aborted::Unrecognized),
            }
        }
    }

    /// The next byte that is not whitespace, consumed.
    fn punct(&mut self) -> Result<u8, Aborted> {
        self.step(|b| {
            let i = skip_ws(b, 0);
            Ok(b.get(i).map(|&c| (c, i + 1)))
        })
        .map(|(_, c)| c)
    }

    fn read(
        mut self,
        on_entry: &mut dyn FnMut(Entry<'_>) -> Result<(), ()>,
    ) -> Result<(), Aborted> {
        if !self.more()? {
            return Ok(());
        }
        if self.punct()? != b'{' {
            return Err(Aborted::Unrecognized);
        }
        let mut first = true;
        loop {
            match self.punct()? {
                b'}' if first => break,
                b'"' => {
                    // Back to the quote: the key is a string token.
                    self.pos -= 1;
                }
                _ => return Err(Aborted::Unrecognized),
            }
            first = false;
            let (at, key) = self.step(|b| {
                let Some(end) = string_end(b, 0)? else {
                    return Ok(None);
                };
                let i = skip_ws(b, end);
                match b.get(i) {
                    None => Ok(None),
                    Some(b':') => Ok(Some((0..end, i + 1))),
                    Some(_) => Err(()),
                }
            })?;
            match &self.buf[at + key.start..at + key.end] {
                b"\"version\"" => {
                    self.step(|b| {
                        let i = skip_ws(b, 0);
                        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                        if i + digits == b.len() {
                            return Ok(None);
                        }
                        if digits == 0 {
                            return Err(());
                        }
                        Ok(Some(((), i + digits)))
                    })?;
                }
                b"\"entries\"" => self.read_entries(on_entry)?,
                _ => return Err(Aborted::Unrecognized),
            }
            match self.punct()? {
                b',' => {}
                b'}' => break,
                _ => return Err(Aborted::Unrecognized),
            }
        }
        // Only whitespace may follow.
        loop {
            let rest = &self.buf[self.pos..];
            if skip_ws(rest, 0) < rest.len() {
                return Err(Aborted::Unrecognized);
            }
            self.pos = self.buf.len();
            if !self.more()? {
                return Ok(());
            }
        }
    }

    fn read_entries(
        &mut self,
        on_entry: &mut dyn FnMut(Entry<'_>) -> Result<(), ()>,
    ) -> Result<(), Aborted> {
        if self.punct()? != b'{' {
            return Err(Aborted::Unrecognized);
        }
        let mut first = true;
        loop {
            match self.punct()? {
                b'}' if first => return Ok(()),
                b'"' => self.pos -= 1,
                _ => return Err(Aborted::Unrecognized),
            }
            first = false;
            // `"key" : "value"`, whole in the buffer.
            let (at, (key, value)) = self.step(|b| {
                let Some(key_end) = string_end(b, 0)? else {
                    return Ok(None);
                };
                let i = skip_ws(b, key_end);
                match b.get(i) {
                    None => return Ok(None),
                    Some(b':') => {}
                    Some(_) => return Err(()),
                }
                let v = skip_ws(b, i + 1);
                match b.get(v) {
                    None => return Ok(None),
                    Some(b'"') => {}
                    Some(_) => return Err(()),
                }
                let Some(value_end) = string_end(b, v)? else {
                    return Ok(None);
                };
                Ok(Some(((0..key_end, v..value_end), value_end)))
            })?;
            let key_bytes = &self.buf[at + key.start..at + key.end];
            let encoded = &self.buf[at + value.start..at + value.end];
            let entry = Entry {
                key: decode(key_bytes).map_err(|()| Aborted::Unrecognized)?,
                value: Value::Encoded(encoded),
            };
            if on_entry(entry).is_err() {
                return Err(Aborted::Io(io::Error::other("interrupted")));
            }
            match self.punct()? {
                b',' => {}
                b'}' => return Ok(()),
                _ => return Err(Aborted::Unrecognized),
            }
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// Where the JSON string token starting at `b[start]` (a quote) ends (just
/// past its closing quote); `None` when it goes on past the bytes at hand.
fn string_end(b: &[u8], start: usize) -> Result<Option<usize>, ()> {
    if b.get(start) != Some(&b'"') {
        return Err(());
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(Some(i + 1)),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    Ok(None)
}

/// A JSON string token's text, checked as `serde_json` checks it.
fn decode(token: &[u8]) -> Result<String, ()> {
    let inner = &token[1..token.len() - 1];
    if !inner.iter().any(|&c| c == b'\\' || c < 0x20) {
        return std::str::from_utf8(inner)
            .map(str::to_string)
            .map_err(|_| ());
    }
    serde_json::from_slice(token).map_err(|_| ())
}

/// The top-level object: `entries` is streamed, anything else skipped.
struct FileSeed<'a, 'b> {
    on_entry: &'a mut dyn FnMut(String, Secret) -> Result<(), ()>,
    interrupted: &'b mut bool,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a secrets file object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen_entries = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" && !seen_entries {
                seen_entries = true;
                map.next_value_seed(EntriesSeed {
                    on_entry: &mut *self.on_entry,
                    interrupted: &mut *self.interrupted,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct EntriesSeed<'a, 'b> {
    on_entry: &'a mut dyn FnMut(String, Secret) -> Result<(), ()>,
    interrupted: &'b mut bool,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of secrets")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let value: Secret = map.next_value()?;
            if (self.on_entry)(key, value).is_err() {
                *self.interrupted = true;
                return Err(de::Error::custom("interrupted"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Edits from a sorted list.
    struct List(Vec<(String, Option<String>)>, usize);

    impl Edits for List {
        fn next(&mut self) -> io::Result<Option<(String, Edit)>> {
            let item = self.0.get(self.1).map(|(k, v)| {
                let edit = match v {
                    Some(v) => Edit::Put(Secret::new(v.clone())),
                    None => Edit::Delete,
                };
                (k.clone(), edit)
            });
            self.1 += 1;
            Ok(item)
        }
        fn restart(&mut self) -> io::Result<()> {
            self.1 = 0;
            Ok(())
        }
    }

    fn edits(items: &[(&str, Option<&str>)]) -> List {
        List(
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
            0,
        )
    }

    /// The file as `serde_json` writes it whole: what the streamed writer
    /// has to match.
    fn whole(entries: &[(&str, &str)]) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct File<'a> {
            version: u32,
            entries: BTreeMap<&'a str, &'a str>,
        }
        serde_json::to_vec_pretty(&File {
            version: 1,
            entries: entries.iter().copied().collect(),
        })
        .unwrap()
    }

    const BOTH: [Reader; 2] = [Reader::Fast, Reader::Serde];

    fn entries_with(reader: Reader, bytes: &[u8]) -> Result<Vec<(String, String)>, Aborted> {
        let mut out = Vec::new();
        scan(bytes, reader, &mut |k, v| {
            out.push((k, v.expose().to_string()));
            Ok(Flow::Continue)
        })?;
        Ok(out)
    }

    /// What the backend does: the fast reader, then serde if it gives up.
    fn entries_of(bytes: &[u8]) -> Vec<(String, String)> {
        match entries_with(Reader::Fast, bytes) {
            Err(Aborted::Unrecognized) => entries_with(Reader::Serde, bytes).unwrap(),
            other => other.unwrap(),
        }
    }

    #[test]
    fn the_streamed_file_is_the_whole_file_byte_for_byte() {
        for entries in [
            &[][..],
            &[("a", "1")][..],
            &[("a", "1"), ("b\"q", "{\"x\":\"\\n\"}"), ("é", "ü")][..],
        ] {
            let puts: Vec<_> = entries.iter().map(|(k, v)| (*k, Some(*v))).collect();
            let mut out = Vec::new();
            rewrite(&b""[..], Reader::Fast, &mut out, &mut edits(&puts)).unwrap();
            assert_eq!(
                String::from_utf8(out.clone()).unwrap(),
                String::from_utf8(whole(entries)).unwrap()
            );
            // And a copy of it, by either reader, is the same again.
            for reader in BOTH {
                let mut copy = Vec::new();
                let r = rewrite(&out[..], reader, &mut copy, &mut edits(&[])).unwrap();
                assert_eq!(r.entries, entries.len());
                assert_eq!(copy, out, "{reader:?}");
                let read = entries_with(reader, &out).unwrap();
                let expected: Vec<(String, String)> = entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                assert_eq!(read, expected, "{reader:?}");
            }
        }
    }

    #[test]
    fn rewrite_merges_puts_and_deletes_in_one_pass() {
        let old = whole(&[("b", "2"), ("d", "4"), ("f", "6")]);
        for reader in BOTH {
            let mut out = Vec::new();
            let r = rewrite(
                &old[..],
                reader,
                &mut out,
                &mut edits(&[
                    ("a", Some("1")),
                    ("b", None),
                    ("c", None),
                    ("d", Some("44")),
                    ("g", Some("7")),
                ]),
            )
            .unwrap();
            assert_eq!(
                r,
                Rewritten {
                    entries: 4,
                    deleted: 1
                }
            );
            assert_eq!(
                out,
                whole(&[("a", "1"), ("d", "44"), ("f", "6"), ("g", "7")])
            );
        }
    }

    #[test]
    fn the_fast_reader_gives_compact_files_and_chunk_borders_no_trouble() {
        let compact = br#"{"version":1,"entries":{"a":"1","b":"x\"y"}}"#;
        assert_eq!(
            entries_with(Reader::Fast, compact).unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), "x\"y".into())]
        );
        // Entries larger than a read, and many of them: every token
        // crosses a chunk border somewhere.
        let big = "v".repeat(CHUNK + 17);
        let keys: Vec<String> = (0..3000).map(|i| format!("k{i:05}")).collect();
        let mut entries: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "\\\"q")).collect();
        entries.insert(1, ("k00000a", big.as_str()));
        let file = whole(&entries);
        let fast = entries_with(Reader::Fast, &file).unwrap();
        assert_eq!(fast, entries_with(Reader::Serde, &file).unwrap());
        assert_eq!(fast.len(), 3001);
        assert_eq!(fast[1].1, big);
    }

    #[test]
    fn files_written_compact_or_with_extra_fields_are_read() {
        let compact = br#"{"entries":{"a":"1","b":"2"},"version":1,"later":[1,{"x":2}]}"#;
        assert!(matches!(
            entries_with(Reader::Fast, compact),
            Err(Aborted::Unrecognized)
        ));
        assert_eq!(
            entries_of(compact),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        for reader in BOTH {
            assert!(entries_with(reader, b"").unwrap().is_empty());
            assert!(entries_with(reader, b" \n").is_err() || reader == Reader::Fast);
        }
    }

    #[test]
    fn an_unsorted_file_is_reported_not_mangled() {
        for reader in BOTH {
            let unsorted = br#"{"version":1,"entries":{"b":"2","a":"1"}}"#;
            let mut out = Vec::new();
            let r = rewrite(&unsorted[..], reader, &mut out, &mut edits(&[("a", None)]));
            assert!(matches!(r, Err(Aborted::Unsorted)), "{r:?}");
            let dup = br#"{"version":1,"entries":{"a":"2","a":"1"}}"#;
            let r = rewrite(&dup[..], reader, &mut Vec::new(), &mut edits(&[]));
            assert!(matches!(r, Err(Aborted::Unsorted)), "{r:?}");
            let r = rewrite(
                &whole(&[])[..],
                reader,
                &mut Vec::new(),
                &mut edits(&[("b", None), ("a", None)]),
            );
            assert!(matches!(r, Err(Aborted::EditsUnsorted)), "{r:?}");
        }
    }

    #[test]
    fn a_damaged_file_is_damaged_and_the_error_quotes_nothing() {
        for bad in [
            &br#"{"entries": {"a": "tok-SECRET"#[..],
            b"[1]",
            br#"{"entries":{}} x"#,
            br#"{"entries":{"a":"\x"}}"#,
            b"{\"entries\":{\"a\":\"\x01\"}}",
        ] {
            assert!(
                matches!(entries_with(Reader::Fast, bad), Err(Aborted::Unrecognized)),
                "{bad:?}"
            );
            match entries_with(Reader::Serde, bad) {
                Err(Aborted::Damaged(e)) => assert!(!e.to_string().contains("SECRET"), "{e}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn retain_keeps_what_it_is_told_and_asks_in_order() {
        let old = whole(&[("a", "1"), ("b", "2"), ("c", "3")]);
        for reader in BOTH {
            let mut asked = Vec::new();
            let mut out = Vec::new();
            let r = retain(&old[..], reader, &mut out, &mut |k| {
                asked.push(k.to_string());
                Ok(k != "b")
            })
            .unwrap();
            assert_eq!(asked, ["a", "b", "c"]);
            assert_eq!((r.entries, r.deleted), (2, 1));
            assert_eq!(out, whole(&[("a", "1"), ("c", "3")]));
        }
    }

    #[test]
    fn scan_stops_when_asked() {
        let file = whole(&[("a", "1"), ("b", "2"), ("c", "3")]);
        for reader in BOTH {
            let mut seen = Vec::new();
            scan(&file[..], reader, &mut |k, _| {
                seen.push(k.clone());
                Ok(if k == "b" { Flow::Stop } else { Flow::Continue })
            })
            .unwrap();
            assert_eq!(seen, vec!["a", "b"]);
        }
    }
}
