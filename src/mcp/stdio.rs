//! The bridge's stdin and stdout, without tokio's blocking pool.
//!
//! tokio's `stdin()`/`stdout()` go through the blocking pool, which cost 2–3×
//! the CPU per message here (measured when this module was written). When
//! stdin and stdout are pipes or sockets (as an MCP client starts the
//! bridge) they are read and written non-blocking on the runtime's own
//! thread ([`async_stdin`], [`Output::async_stdout`]): a message then costs
//! no thread hand-off at all. Anything else (a terminal, a file) gets a
//! dedicated reader thread that hands whole lines to the runtime, and a
//! writer thread that drains a channel and flushes once per burst.
//!
//! Invariant: stdout carries only what goes through [`Output`], and
//! [`Output`] is only given complete JSON-RPC messages, one per line.

use std::io::{BufRead, BufReader, Read, Write};

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
    tx: tmpsc::UnboundedSender<OutMsg>,
}

impl Output {
    /// Starts the writer thread on `sink` (stdout in the bridge). `closed`
    /// fires when the sink fails (the client went away).
    pub fn spawn<W: Write + Send + 'static>(sink: W) -> (Output, oneshot::Receiver<()>) {
        let (tx, rx) = tmpsc::unbounded_channel();
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

fn write_lines<W: Write>(
    sink: W,
    mut rx: tmpsc::UnboundedReceiver<OutMsg>,
    closed: oneshot::Sender<()>,
) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, sink);
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut failed = false;
    while let Some(first) = rx.blocking_recv() {
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
            while let Some(msg) = rx.blocking_recv() {
                if let OutMsg::Flush(ack) = msg {
                    let _ = ack.send(());
                }
            }
            return;
        }
    }
}

// ---- non-blocking pipes on the runtime thread (unix) -------------------------

#[cfg(unix)]
mod nonblocking {
    use std::os::fd::{AsRawFd, RawFd};

    /// A borrowed standard descriptor (0 or 1), switched to non-blocking
    /// mode; its flags are restored when dropped.
    pub struct Fd {
        fd: RawFd,
        flags: libc::c_int,
    }

    impl Fd {
        /// `Some` when `fd` is a pipe or socket and could be made
        /// non-blocking. Terminals and files are left alone: their file
        /// description may be shared with the parent (a shell), and epoll
        /// does not take regular files.
        pub fn open(fd: RawFd) -> Option<Fd> {
            // SAFETY: fstat and fcntl on a descriptor number only read or
            // set that descriptor's status; a closed one returns an error.
            unsafe {
                let mut st: libc::stat = std::mem::zeroed();
                if libc::fstat(fd, &mut st) != 0 {
                    return None;
                }
                let kind = st.st_mode & libc::S_IFMT;
                if kind != libc::S_IFIFO && kind != libc::S_IFSOCK {
                    return None;
                }
                let flags = libc::fcntl(fd, libc::F_GETFL);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
                    return None;
                }
                Some(Fd { fd, flags })
            }
        }

        pub fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            // SAFETY: buf is valid for buf.len() bytes.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        }

        pub fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
            // SAFETY: buf is valid for buf.len() bytes.
            let n = unsafe { libc::write(self.fd, buf.as_ptr().cast(), buf.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        }
    }

    impl AsRawFd for Fd {
        fn as_raw_fd(&self) -> RawFd {
            self.fd
        }
    }

    impl Drop for Fd {
        fn drop(&mut self) {
            // SAFETY: restores the flags read in `open`.
            unsafe {
                libc::fcntl(self.fd, libc::F_SETFL, self.flags);
            }
        }
    }
}

/// Reads stdin non-blocking on the runtime thread, when it is a pipe or a
/// socket; `None` otherwise (use [`spawn_reader`]).
#[cfg(unix)]
pub fn async_stdin() -> Option<tmpsc::Receiver<Input>> {
    use tokio::io::{Interest, unix::AsyncFd};
    let fd = nonblocking::Fd::open(0)?;
    // SAFETY: descriptor 0 stays open, on the same file description, for
    // the life of the process: nothing in mcp-auth closes or dup2s it.
    let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok()?;
    let (tx, rx) = tmpsc::channel(256);
    tokio::spawn(async move {
        let mut splitter = Splitter::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let Ok(mut ready) = fd.readable().await else {
                let _ = tx.send(Input::Eof).await;
                return;
            };
            match ready.try_io(|fd| fd.get_ref().read(&mut buf)) {
                Err(_would_block) => continue,
                Ok(Ok(0)) | Ok(Err(_)) => {
                    for input in splitter.finish() {
                        let _ = tx.send(input).await;
                    }
                    let _ = tx.send(Input::Eof).await;
                    return;
                }
                Ok(Ok(n)) => {
                    for input in splitter.push(&buf[..n]) {
                        if tx.send(input).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
    Some(rx)
}

#[cfg(not(unix))]
pub fn async_stdin() -> Option<tmpsc::Receiver<Input>> {
    None
}

/// Cuts a byte stream into lines, as [`read_line`] does for a reader.
/// Public so the stdin fuzz target can feed it arbitrarily split bytes.
#[derive(Default)]
pub struct Splitter {
    partial: Vec<u8>,
    /// Inside a line longer than [`MAX_LINE`], skipping to its end.
    skipping: bool,
}

impl Splitter {
    /// Takes the next bytes read; returns the lines they complete.
    pub fn push(&mut self, mut data: &[u8]) -> Vec<Input> {
        let mut out = Vec::new();
        let mut lines = Vec::new();
        while let Some(i) = data.iter().position(|&b| b == b'\n') {
            let (chunk, rest) = (&data[..i], &data[i + 1..]);
            data = rest;
            if self.skipping || self.partial.len() + chunk.len() > MAX_LINE {
                self.skipping = false;
                self.partial.clear();
                if !lines.is_empty() {
                    out.push(Input::Lines(std::mem::take(&mut lines)));
                }
                out.push(Input::TooLong);
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(chunk);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(line);
        }
        if !self.skipping {
            if self.partial.len() + data.len() > MAX_LINE {
                self.skipping = true;
                self.partial = Vec::new();
            } else {
                self.partial.extend_from_slice(data);
            }
        }
        if !lines.is_empty() {
            out.push(Input::Lines(lines));
        }
        out
    }

    /// At EOF: the last line if it had no newline.
    pub fn finish(&mut self) -> Vec<Input> {
        if self.skipping {
            return vec![Input::TooLong];
        }
        let last = std::mem::take(&mut self.partial);
        if last.is_empty() {
            Vec::new()
        } else {
            vec![Input::Lines(vec![last])]
        }
    }
}

impl Output {
    /// Writes stdout non-blocking from a task on the runtime thread, when
    /// it is a pipe or a socket; `None` otherwise (use [`Output::spawn`]).
    #[cfg(unix)]
    pub fn async_stdout() -> Option<(Output, oneshot::Receiver<()>)> {
        use tokio::io::{Interest, unix::AsyncFd};
        let fd = nonblocking::Fd::open(1)?;
        // SAFETY: descriptor 1 stays open, on the same file description,
        // for the life of the process: nothing in mcp-auth closes or dup2s it.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::WRITABLE) }.ok()?;
        let (tx, mut rx) = tmpsc::unbounded_channel::<OutMsg>();
        let (closed_tx, closed_rx) = oneshot::channel();
        tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
            let mut flushes = Vec::new();
            let mut failed = false;
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                while let Some(msg) = next {
                    match msg {
                        OutMsg::Line(line) => {
                            buf.extend_from_slice(&line);
                            buf.push(b'\n');
                        }
                        OutMsg::Flush(ack) => flushes.push(ack),
                    }
                    next = rx.try_recv().ok();
                }
                let mut written = 0;
                while !failed && written < buf.len() {
                    let Ok(mut ready) = fd.writable().await else {
                        failed = true;
                        break;
                    };
                    match ready.try_io(|fd| fd.get_ref().write(&buf[written..])) {
                        Err(_would_block) => {}
                        Ok(Ok(n)) => written += n,
                        Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Ok(Err(_)) => failed = true,
                    }
                }
                buf.clear();
                if buf.capacity() > 1024 * 1024 {
                    buf = Vec::with_capacity(64 * 1024);
                }
                for ack in flushes.drain(..) {
                    let _ = ack.send(());
                }
                if failed {
                    let _ = closed_tx.send(());
                    while let Some(msg) = rx.recv().await {
                        if let OutMsg::Flush(ack) = msg {
                            let _ = ack.send(());
                        }
                    }
                    return;
                }
            }
        });
        Some((Output { tx }, closed_rx))
    }

    #[cfg(not(unix))]
    pub fn async_stdout() -> Option<(Output, oneshot::Receiver<()>)> {
        None
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

    fn split(chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, &'static str>> {
        let mut s = Splitter::default();
        let mut out = Vec::new();
        let mut take = |inputs: Vec<Input>| {
            for i in inputs {
                match i {
                    Input::Lines(ls) => out.extend(ls.into_iter().map(Ok)),
                    Input::TooLong => out.push(Err("too long")),
                    Input::Eof => {}
                }
            }
        };
        for c in chunks {
            take(s.push(c));
        }
        take(s.finish());
        out
    }

    #[test]
    fn the_splitter_cuts_lines_like_the_reader_thread() {
        let got = split(&[b"{\"a\":1", b"2}\r\n\n{\"b\"", b":1}\nlast"]);
        let want: Vec<Result<Vec<u8>, &str>> = vec![
            Ok(b"{\"a\":12}".to_vec()),
            Ok(Vec::new()),
            Ok(b"{\"b\":1}".to_vec()),
            Ok(b"last".to_vec()),
        ];
        assert_eq!(got, want);
        let big = vec![b'x'; MAX_LINE + 1];
        let got = split(&[&big, b"\nok\n"]);
        assert_eq!(got, vec![Err("too long"), Ok(b"ok".to_vec())]);
        let got = split(&[
            &big[..MAX_LINE / 2],
            &big[..MAX_LINE / 2 + 2],
            b"tail\nok\n",
        ]);
        assert_eq!(got, vec![Err("too long"), Ok(b"ok".to_vec())]);
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
