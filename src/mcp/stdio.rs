//! The bridge's stdin and stdout, each served by a plain thread.
//!
//! tokio's `stdin()`/`stdout()` go through the blocking pool, which cost 2–3×
//! the CPU per message here (see shared/CRATES.md); a dedicated reader
//! thread that hands whole lines to the runtime, and a writer thread that
//! drains a channel and flushes once per burst, do not.
//!
//! Invariant: stdout carries only what goes through [`Output`], and
//! [`Output`] is only given complete JSON-RPC messages, one per line.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::mpsc;

use tokio::sync::{mpsc as tmpsc, oneshot};

/// Lines longer than this are refused with a parse error (and skipped)
/// rather than buffered without bound.
pub const MAX_LINE: usize = 64 * 1024 * 1024;

/// Lines the reader hands over at once when more are already buffered.
const MAX_BATCH: usize = 64;

/// What the reader thread delivers.
pub enum Input {
    /// Complete lines, newline removed, in order.
    Lines(Vec<Vec<u8>>),
    /// A line longer than [`MAX_LINE`] was skipped.
    TooLong,
    /// stdin closed (or failed).
    Eof,
}

/// Starts the reader thread on `input` (stdin in the bridge). Lines are
/// batched when several are already buffered, so a burst costs one wake-up.
pub fn spawn_reader<R: Read + Send + 'static>(input: R) -> tmpsc::Receiver<Input> {
    let (tx, rx) = tmpsc::channel(256);
    let spawned = std::thread::Builder::new()
        .name("mcp-auth-stdin".into())
        .spawn(move || read_lines(input, tx));
    if let Err(e) = spawned {
        // Without a reader thread there is no input: behave as at EOF.
        tracing::error!(error = %e, "cannot start the stdin reader thread");
    }
    rx
}

fn read_lines<R: Read>(input: R, tx: tmpsc::Sender<Input>) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut batch: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut line = Vec::new();
        match read_line(&mut reader, &mut line) {
            Ok(LineRead::Line) => {
                batch.push(line);
                let more_buffered = reader.buffer().contains(&b'\n');
                let flush = !more_buffered || batch.len() >= MAX_BATCH;
                if flush
                    && tx
                        .blocking_send(Input::Lines(std::mem::take(&mut batch)))
                        .is_err()
                {
                    return;
                }
            }
            Ok(LineRead::TooLong) => {
                if !batch.is_empty()
                    && tx
                        .blocking_send(Input::Lines(std::mem::take(&mut batch)))
                        .is_err()
                {
                    return;
                }
                if tx.blocking_send(Input::TooLong).is_err() {
                    return;
                }
            }
            Ok(LineRead::Eof) | Err(_) => {
                if !batch.is_empty() {
                    let _ = tx.blocking_send(Input::Lines(std::mem::take(&mut batch)));
                }
                let _ = tx.blocking_send(Input::Eof);
                return;
            }
        }
    }
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Reads one line (without its `\n`, and without a `\r` before it). A last
/// line without a newline still counts at EOF.
fn read_line<R: BufRead>(reader: &mut R, line: &mut Vec<u8>) -> std::io::Result<LineRead> {
    let mut too_long = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(if too_long {
                LineRead::TooLong
            } else if line.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Line
            });
        }
        let (chunk, done, found) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE {
                too_long = true;
                line.clear();
                line.shrink_to_fit();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(done);
        if found {
            if too_long {
                return Ok(LineRead::TooLong);
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(LineRead::Line);
        }
    }
}

enum OutMsg {
    Line(Vec<u8>),
    /// Answered once everything queued before it is written and flushed.
    Flush(oneshot::Sender<()>),
}

/// The only way to stdout. Cheap to clone; sending never blocks.
#[derive(Clone)]
pub struct Output {
    tx: mpsc::Sender<OutMsg>,
}

impl Output {
    /// Starts the writer thread on `sink` (stdout in the bridge). `closed`
    /// fires when the sink fails (the client went away).
    pub fn spawn<W: Write + Send + 'static>(sink: W) -> (Output, oneshot::Receiver<()>) {
        let (tx, rx) = mpsc::channel();
        let (closed_tx, closed_rx) = oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("mcp-auth-stdout".into())
            .spawn(move || write_lines(sink, rx, closed_tx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the stdout writer thread");
        }
        (Output { tx }, closed_rx)
    }

    /// Queues one message; it must be one line of JSON without its newline.
    pub fn send(&self, line: Vec<u8>) {
        // An error means the writer is gone (stdout closed): the bridge is
        // shutting down and the message has nowhere to go.
        let _ = self.tx.send(OutMsg::Line(line));
    }

    /// Waits until everything queued so far is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(OutMsg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn write_lines<W: Write>(sink: W, rx: mpsc::Receiver<OutMsg>, closed: oneshot::Sender<()>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, sink);
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut failed = false;
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                OutMsg::Line(line) if !failed => {
                    let res = out.write_all(&line).and_then(|_| out.write_all(b"\n"));
                    if res.is_err() {
                        failed = true;
                    }
                }
                OutMsg::Line(_) => {}
                OutMsg::Flush(ack) => flushes.push(ack),
            }
            next = rx.try_recv().ok();
        }
        if !failed && out.flush().is_err() {
            failed = true;
        }
        for ack in flushes.drain(..) {
            let _ = ack.send(());
        }
        if failed {
            let _ = closed.send(());
            // Keep draining so senders never block or error loudly; the
            // bridge is shutting down.
            while let Ok(msg) = rx.recv() {
                if let OutMsg::Flush(ack) = msg {
                    let _ = ack.send(());
                }
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Result<Vec<u8>, &'static str>> {
        let mut r = BufReader::with_capacity(7, input);
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            match read_line(&mut r, &mut line).unwrap() {
                LineRead::Line => out.push(Ok(line)),
                LineRead::TooLong => out.push(Err("too long")),
                LineRead::Eof => return out,
            }
        }
    }

    #[test]
    fn lines_split_across_buffer_refills_and_crlf() {
        let got = lines(b"{\"a\":12345678}\r\n\n{\"b\":1}\nlast");
        let want: Vec<Result<Vec<u8>, &str>> = vec![
            Ok(b"{\"a\":12345678}".to_vec()),
            Ok(Vec::new()),
            Ok(b"{\"b\":1}".to_vec()),
            Ok(b"last".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn writer_flushes_in_order_and_reports_closed_sinks() {
        #[derive(Clone, Default)]
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let (out, _closed) = Output::spawn(sink.clone());
        out.send(b"{\"id\":1}".to_vec());
        out.send(b"{\"id\":2}".to_vec());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(out.flush());
        assert_eq!(&*sink.0.lock().unwrap(), b"{\"id\":1}\n{\"id\":2}\n");

        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
        }
        let (out, closed) = Output::spawn(Broken);
        out.send(b"{}".to_vec());
        rt.block_on(out.flush());
        assert!(rt.block_on(closed).is_ok());
    }
}
