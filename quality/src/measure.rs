//! The measurements behind the checks: exposure, saturation, sharpness, card edges.

use crate::{Gray, limits};

/// Mean luma (0–255).
pub fn mean(frame: &Gray) -> f32 {
    if frame.pixels.is_empty() {
        return 0.0;
    }
    frame.pixels.iter().map(|&v| u64::from(v)).sum::<u64>() as f32 / frame.pixels.len() as f32
}

/// The share of saturated pixels inside `area` (x, y, width, height).
pub fn saturated_fraction(frame: &Gray, area: (u32, u32, u32, u32)) -> f32 {
    let (x, y, w, h) = area;
    if w == 0 || h == 0 {
        return 0.0;
    }
    let mut n = 0u32;
    for row in y..(y + h).min(frame.height) {
        for col in x..(x + w).min(frame.width) {
            n += u32::from(frame.at(col, row) >= limits::SATURATED);
        }
    }
    n as f32 / (w * h) as f32
}

/// Variance of the 4-neighbour Laplacian: low when nothing in the frame has a sharp edge
/// (motion blur, out of focus, a lens covered with a finger).
pub fn laplacian_variance(frame: &Gray) -> f32 {
    let (w, h) = (frame.width, frame.height);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut sum, mut sum_sq, mut n) = (0f64, 0f64, 0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let c = 4 * i32::from(frame.at(x, y));
            let l = c
                - i32::from(frame.at(x - 1, y))
                - i32::from(frame.at(x + 1, y))
                - i32::from(frame.at(x, y - 1))
                - i32::from(frame.at(x, y + 1));
            let l = f64::from(l);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let m = sum / n;
    (sum_sq / n - m * m) as f32
}

/// Gradient strength that counts as an edge.
const EDGE: i32 = 40;
/// Share of a side's positions that must show an edge.
const COVERAGE: f32 = 0.6;

/// How many sides of `guide` (x, y, width, height) have a straight, strong edge near them:
/// a card that fills the guide shows four; a textured background scatters its edges, so
/// their positions along the side do not line up.
pub fn card_sides(frame: &Gray, guide: (u32, u32, u32, u32)) -> usize {
    let (gx, gy, gw, gh) = guide;
    let band = (gh / 6).max(3) as i64;
    let (w, h) = (i64::from(frame.width), i64::from(frame.height));
    let px = |x: i64, y: i64| i32::from(frame.at(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32));
    // For each side: along the side's inner 80 %, the offset of the strongest edge across it.
    let side = |horizontal: bool, line: i64| -> bool {
        let (start, len) = if horizontal { (i64::from(gx), i64::from(gw)) } else { (i64::from(gy), i64::from(gh)) };
        let (from, to) = (start + len / 10, start + len - len / 10);
        let mut offsets = Vec::new();
        for t in from..to {
            let mut best = (0, 0i64);
            for d in -band..=band {
                let g = if horizontal {
                    (px(t, line + d + 1) - px(t, line + d - 1)).abs()
                } else {
                    (px(line + d + 1, t) - px(line + d - 1, t)).abs()
                };
                if g > best.0 {
                    best = (g, d);
                }
            }
            if best.0 >= EDGE {
                offsets.push(best.1);
            }
        }
        let positions = (to - from).max(1) as f32;
        if (offsets.len() as f32) < COVERAGE * positions {
            return false;
        }
        // Straight: most edge points sit within 2 px of their median offset.
        offsets.sort_unstable();
        let median = offsets[offsets.len() / 2];
        let near = offsets.iter().filter(|&&o| (o - median).abs() <= 2).count();
        near as f32 >= COVERAGE * positions
    };
    [
        side(true, i64::from(gy)),
        side(true, i64::from(gy + gh)),
        side(false, i64::from(gx)),
        side(false, i64::from(gx + gw)),
    ]
    .into_iter()
    .filter(|&s| s)
    .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Gray {
        let mut pixels = Vec::new();
        for y in 0..h {
            for x in 0..w {
                pixels.push(f(x, y));
            }
        }
        Gray { width: w, height: h, pixels }
    }

    #[test]
    fn sharp_edges_raise_the_laplacian() {
        let flat = frame(64, 64, |_, _| 100);
        let checker = frame(64, 64, |x, y| if (x / 4 + y / 4) % 2 == 0 { 30 } else { 220 });
        assert_eq!(laplacian_variance(&flat), 0.0);
        assert!(laplacian_variance(&checker) > 1000.0);
    }

    #[test]
    fn a_card_in_the_guide_has_four_sides() {
        let guide = crate::card_guide(320, 240);
        let (gx, gy, gw, gh) = guide;
        let card = frame(320, 240, |x, y| if x >= gx && x < gx + gw && y >= gy && y < gy + gh { 200 } else { 40 });
        assert_eq!(card_sides(&card, guide), 4);
        let small = frame(320, 240, |x, y| if (140..180).contains(&x) && (100..130).contains(&y) { 200 } else { 40 });
        assert_eq!(card_sides(&small, guide), 0);
        let noise = frame(320, 240, |x, y| ((x * 7919 + y * 104_729) % 251) as u8);
        assert!(card_sides(&noise, guide) < 3);
    }

    #[test]
    fn saturation_counts_inside_the_area() {
        let half = frame(10, 10, |x, _| if x < 5 { 255 } else { 0 });
        assert_eq!(saturated_fraction(&half, (0, 0, 10, 10)), 0.5);
        assert_eq!(saturated_fraction(&half, (5, 0, 5, 10)), 0.0);
    }
}
