//! The compat format: hex of AES/ECB/PKCS5Padding(site key, UTF-8 JSON object).

use serde_json::{Map, Value};
use subtle::{Choice, ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess};

use crate::error::IdentityError;
use crate::key::SiteKey;

/// The AES block size in bytes.
const BLOCK: usize = 16;

/// Checks the token's shape and hex-decodes it: the only step of the compat format that can
/// answer [`IdentityError::Malformed`]. Nothing is decrypted here.
pub(crate) fn decode(token: &str) -> Result<Vec<u8>, IdentityError> {
    let bytes = hex::decode(token).map_err(|_| IdentityError::Malformed)?;
    if bytes.is_empty() || !bytes.len().is_multiple_of(BLOCK) {
        return Err(IdentityError::Malformed);
    }
    Ok(bytes)
}

/// Tries each key in turn and returns the first JSON object one of them decrypts to.
///
/// Every failure (padding, UTF-8, JSON, not an object, a duplicate key) under every key is the same `None`.
pub(crate) fn open(keys: &[SiteKey], ciphertext: &[u8]) -> Option<Map<String, Value>> {
    let mut buf = Vec::with_capacity(ciphertext.len());
    keys.iter().find_map(|key| {
        buf.clear();
        buf.extend_from_slice(ciphertext);
        key.ecb_decrypt_blocks(&mut buf);
        let len = unpadded_len(&buf)?;
        let text = std::str::from_utf8(&buf[..len]).ok()?;
        crate::strict::object(text)
    })
}

/// PKCS#7 (PKCS5Padding) check over the last block without branching on the secret bytes;
/// returns the plaintext length. `buf.len()` is a positive multiple of 16.
fn unpadded_len(buf: &[u8]) -> Option<usize> {
    let last = buf.get(buf.len().checked_sub(BLOCK)?..)?;
    let pad = *last.last()?;
    let mut ok: Choice = !pad.ct_eq(&0) & !pad.ct_gt(&(BLOCK as u8));
    for (i, &byte) in last.iter().rev().enumerate() {
        let in_padding = (i as u8).ct_lt(&pad);
        ok &= !in_padding | byte.ct_eq(&pad);
    }
    if bool::from(ok) {
        Some(buf.len() - usize::from(pad))
    } else {
        None
    }
}

/// Pads with PKCS#7, encrypts block by block and hex-encodes in uppercase (as the reference Java).
pub(crate) fn seal(key: &SiteKey, payload: &[u8]) -> String {
    let pad = BLOCK - payload.len() % BLOCK;
    let mut buf = Vec::with_capacity(payload.len() + pad);
    buf.extend_from_slice(payload);
    // `pad` is 1..=16, so it fits in a byte.
    buf.resize(payload.len() + pad, pad as u8);
    key.ecb_encrypt_blocks(&mut buf);
    hex::encode_upper(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_with_tail(tail: &[u8]) -> Vec<u8> {
        let mut b = vec![0xAA; BLOCK];
        b[BLOCK - tail.len()..].copy_from_slice(tail);
        b
    }

    #[test]
    fn padding_accepts_every_valid_length() {
        for pad in 1..=16u8 {
            let b = block_with_tail(&vec![pad; usize::from(pad)]);
            assert_eq!(unpadded_len(&b), Some(BLOCK - usize::from(pad)));
        }
    }

    #[test]
    fn padding_rejects_zero_too_large_and_inconsistent() {
        assert_eq!(unpadded_len(&block_with_tail(&[0])), None);
        assert_eq!(unpadded_len(&block_with_tail(&[17])), None);
        assert_eq!(unpadded_len(&block_with_tail(&[0xFF])), None);
        assert_eq!(unpadded_len(&block_with_tail(&[3, 2, 3])), None);
        assert_eq!(unpadded_len(&block_with_tail(&[3, 2, 2])), Some(14));
        let mut sixteen = vec![16u8; 16];
        sixteen[0] = 15;
        assert_eq!(unpadded_len(&sixteen), None);
    }

    #[test]
    fn shape_errors_are_malformed() {
        for bad in ["", "0", "zz", "00", &"0".repeat(34)] {
            assert_eq!(decode(bad), Err(IdentityError::Malformed), "{bad:?}");
        }
        assert_eq!(decode(&"aB".repeat(16)).map(|b| b.len()), Ok(16));
    }
}
