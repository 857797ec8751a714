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

/// message id || segment label || sequence number || content length.
pub(crate) fn body_aad(
    message_id: &[u8],
    segment: Segment,
    sequence_number: u32,
    content_len: u64,
) -> Vec<u8> {
    let label = segment.label();
    let mut aad = Vec::with_capacity(message_id.len() + label.len() + 12);
    aad.extend_from_slice(message_id);
    aad.extend_from_slice(label);
    aad.extend_from_slice(&sequence_number.to_be_bytes());
    aad.extend_from_slice(&content_len.to_be_bytes());
    aad
}

/// The IV of frame `sequence_number`: the number, big-endian, in 12 bytes.
pub(crate) fn frame_iv(sequence_number: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    let (_, low) = iv.split_at_mut(8);
    low.copy_from_slice(&sequence_number.to_be_bytes());
    iv
}
