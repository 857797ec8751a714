//! The decryptor's input: buffered for the header's and footer's small fields, read
//! straight into frame batches for the body, and able to take back the bytes that a
//! batch read past the last regular frame.
//!
//! Reading a batch of frames with one large read, instead of field by field out of a
//! `BufReader`, saves a copy of every ciphertext byte, which on a fast machine costs
//! about as much as AES-GCM itself. Where the regular frames end is only known once the
//! final frame's marker is seen, so the bytes read from the marker on are put back and
//! read again as fields.

use std::io::{self, Read};

/// Reads shorter than this are served from the buffer; longer ones, once the buffer is
/// empty, go straight to the inner reader.
const SMALL_READS: usize = 8 * 1024;

/// A buffered reader over the caller's input that can take bytes back.
pub(crate) struct Source<'r, R: Read> {
    inner: &'r mut R,
    buffer: Vec<u8>,
    /// The unread part of `buffer` is `start..end`.
    start: usize,
    end: usize,
}

impl<'r, R: Read> Source<'r, R> {
    pub(crate) fn new(inner: &'r mut R) -> Self {
        Source { inner, buffer: Vec::new(), start: 0, end: 0 }
    }

    /// Puts `bytes` back in front of what is still to be read. Called once per message,
    /// with at most the tail of one batch read.
    pub(crate) fn unread(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let pending = self.buffer.get(self.start..self.end).unwrap_or_default();
        let mut joined = Vec::with_capacity(bytes.len() + pending.len());
        joined.extend_from_slice(bytes);
        joined.extend_from_slice(pending);
        self.end = joined.len();
        self.start = 0;
        self.buffer = joined;
    }
}

impl<R: Read> Read for Source<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start >= self.end {
            if out.len() >= SMALL_READS {
                return self.inner.read(out);
            }
            if self.buffer.len() < SMALL_READS {
                self.buffer.resize(SMALL_READS, 0);
            }
            self.start = 0;
            self.end = self.inner.read(&mut self.buffer)?;
        }
        let pending = self.buffer.get(self.start..self.end).unwrap_or_default();
        let n = pending.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), pending.get(..n)) {
            to.copy_from_slice(from);
        }
        self.start += n;
        Ok(n)
    }
}

/// A reader for tests that hands out at most `chunk` bytes per read, as pipes and
/// sockets do.
#[cfg(test)]
pub(crate) struct Trickle<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) chunk: usize,
    pub(crate) reads: usize,
}

#[cfg(test)]
impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        let n = self.chunk.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_reads_are_buffered_and_large_ones_go_straight_through() {
        let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let mut inner = Trickle { data: &data, chunk: usize::MAX, reads: 0 };
        let mut source = Source::new(&mut inner);
        let mut small = [0u8; 4];
        for _ in 0..100 {
            source.read_exact(&mut small).unwrap();
        }
        let mut large = vec![0u8; 60_000];
        source.read_exact(&mut large).unwrap();
        // One read filled the buffer for the 100 small reads; the large read took what
        // the buffer held and the remainder in one direct read.
        assert_eq!(source.inner.reads, 2);
        let mut rest = Vec::new();
        source.read_to_end(&mut rest).unwrap();
        assert_eq!(&large[..], &data[400..60_400]);
        assert_eq!(rest, &data[60_400..]);
    }

    #[test]
    fn unread_bytes_come_back_first_in_order() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let mut inner = Trickle { data: &data, chunk: 777, reads: 0 };
        let mut source = Source::new(&mut inner);
        let mut head = [0u8; 10];
        source.read_exact(&mut head).unwrap();
        // Taken back while the buffer still holds bytes after them.
        source.unread(&head[7..]);
        let mut again = [0u8; 6];
        source.read_exact(&mut again).unwrap();
        assert_eq!(again, data[7..13]);
        source.unread(&again[3..]);
        let mut block = vec![0u8; 20_000];
        source.read_exact(&mut block).unwrap();
        // Take back the last 5,000 bytes of the block.
        source.unread(&block[15_000..]);
        let mut rest = Vec::new();
        source.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &data[10 + 15_000..]);
    }
}
