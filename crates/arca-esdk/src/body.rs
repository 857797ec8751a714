//! Body framing constants and the per-frame additional authenticated data.

/// Marks the final frame of a framed body.
pub(crate) const FINAL_FRAME_MARKER: u32 = 0xFFFF_FFFF;
/// The largest content of a non-framed body (2^36 - 32 bytes).
pub(crate) const MAX_NON_FRAMED_LEN: u64 = (1 << 36) - 32;

/// Which kind of body segment an AAD is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    Frame,
    FinalFrame,
    SingleBlock,
}

impl Segment {
    fn label(self) -> &'static [u8] {
        match self {
            Segment::Frame => b"AWSKMSEncryptionClient Frame",
            Segment::FinalFrame => b"AWSKMSEncryptionClient Final Frame",
            Segment::SingleBlock => b"AWSKMSEncryptionClient Single Block",
        }
    }
}

/// The longest message id (format version 2).
const MAX_MESSAGE_ID_LEN: usize = 32;
/// The longest segment label ("... Single Block").
const MAX_LABEL_LEN: usize = 35;
/// Sequence number and content length.
const COUNTERS_LEN: usize = 12;

/// The additional authenticated data of the body segments of one message kind:
/// message id || segment label || sequence number || content length.
///
/// It lives on the stack and writes the message id and label once, so that a body of
/// many small frames pays neither an allocation nor a rebuild per frame.
#[derive(Clone)]
pub(crate) struct FrameAad {
    bytes: [u8; MAX_MESSAGE_ID_LEN + MAX_LABEL_LEN + COUNTERS_LEN],
    /// Length of message id and label.
    prefix: usize,
}

impl FrameAad {
    /// The AAD for `segment`s of the message `message_id`; `None` if the id is longer
    /// than any format version allows (headers never hold one).
    pub(crate) fn new(message_id: &[u8], segment: Segment) -> Option<Self> {
        if message_id.len() > MAX_MESSAGE_ID_LEN {
            return None;
        }
        let label = segment.label();
        let mut bytes = [0u8; MAX_MESSAGE_ID_LEN + MAX_LABEL_LEN + COUNTERS_LEN];
        let prefix = message_id.len() + label.len();
        bytes.get_mut(..message_id.len())?.copy_from_slice(message_id);
        bytes.get_mut(message_id.len()..prefix)?.copy_from_slice(label);
        Some(Self { bytes, prefix })
    }

    /// The AAD of the segment numbered `sequence_number` holding `content_len` bytes.
    pub(crate) fn with(&mut self, sequence_number: u32, content_len: u64) -> &[u8] {
        let (head, counters) = self.bytes.split_at_mut(self.prefix);
        let (sequence_field, rest) = counters.split_at_mut(4);
        let (length_field, _) = rest.split_at_mut(8);
        sequence_field.copy_from_slice(&sequence_number.to_be_bytes());
        length_field.copy_from_slice(&content_len.to_be_bytes());
        let len = head.len() + COUNTERS_LEN;
        self.bytes.get(..len).unwrap_or_default()
    }
}

/// The IV of frame `sequence_number`: the number, big-endian, in 12 bytes.
pub(crate) fn frame_iv(sequence_number: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    let (_, low) = iv.split_at_mut(8);
    low.copy_from_slice(&sequence_number.to_be_bytes());
    iv
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AAD as the specification spells it, built the plain way.
    fn spelled_out(message_id: &[u8], segment: Segment, sequence: u32, len: u64) -> Vec<u8> {
        [message_id, segment.label(), &sequence.to_be_bytes(), &len.to_be_bytes()].concat()
    }

    #[test]
    fn frame_aad_matches_the_specified_layout() {
        for message_id in [[7u8; 16].as_slice(), [9u8; 32].as_slice()] {
            for segment in [Segment::Frame, Segment::FinalFrame, Segment::SingleBlock] {
                let mut aad = FrameAad::new(message_id, segment).unwrap();
                for (sequence, len) in [(1, 4096), (2, 0), (0xFFFF_FFFE, (1 << 36) - 32)] {
                    assert_eq!(
                        aad.with(sequence, len),
                        spelled_out(message_id, segment, sequence, len)
                    );
                }
            }
        }
    }

    #[test]
    fn frame_aad_refuses_overlong_message_ids() {
        assert!(FrameAad::new(&[0u8; 33], Segment::SingleBlock).is_none());
    }
}
