//! JPEG and PNG photos to a [`Gray`] work frame (native callers: the fake vendor, tests).

use crate::{Gray, WORK_SIDE};

/// Why a photo could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a JPEG or PNG photo")]
    Format,
    #[error("the photo could not be decoded: {0}")]
    Corrupt(String),
}

/// Decodes a JPEG or PNG photo and reduces it to the work frame.
pub fn work_frame(bytes: &[u8]) -> Result<Gray, DecodeError> {
    let full = full_frame(bytes)?;
    Gray::from_luma(full.pixels, full.width, full.height, WORK_SIDE)
        .ok_or_else(|| DecodeError::Corrupt("empty image".into()))
}

/// Decodes a JPEG or PNG photo to grayscale at its own size.
pub fn full_frame(bytes: &[u8]) -> Result<Gray, DecodeError> {
    let (luma, w, h) = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)?
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)?
    } else {
        return Err(DecodeError::Format);
    };
    Gray::from_luma(luma, w, h, u32::MAX).ok_or_else(|| DecodeError::Corrupt("empty image".into()))
}

fn jpeg(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), DecodeError> {
    use zune_jpeg::zune_core::{colorspace::ColorSpace, options::DecoderOptions};
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(bytes, options);
    let luma = d.decode().map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let (w, h) = d.dimensions().ok_or_else(|| DecodeError::Corrupt("no size".into()))?;
    Ok((luma, w as u32, h as u32))
}

fn png(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), DecodeError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| DecodeError::Corrupt("too large".into()))?];
    let info = reader.next_frame(&mut buf).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    let luma = match channels {
        1 | 2 => buf.chunks_exact(channels).map(|p| p[0]).collect(),
        _ => buf
            .chunks_exact(channels)
            .map(|p| ((77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8) as u8)
            .collect(),
    };
    Ok((luma, info.width, info.height))
}
