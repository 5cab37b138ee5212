//! The dense vector loops of the simplex, with an AVX2 version chosen at run
//! time (`is_x86_feature_detected!`) and a plain fallback on other CPUs and
//! architectures.
//!
//! Both versions compute every element with the same two roundings (a product,
//! then a sum or difference; never a fused multiply–add), so their results are
//! bit for bit the same: a selection does not depend on the CPU it ran on.

/// `dst[i] -= src[i] * s`.
pub(crate) fn sub_scaled(dst: &mut [f64], src: &[f64], s: f64) {
    assert_eq!(dst.len(), src.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available (checked just above).
        unsafe { avx2::sub_scaled(dst, src, s) };
        return;
    }
    sub_scaled_plain(dst, src, s);
}

/// [`sub_scaled`] without SIMD.
fn sub_scaled_plain(dst: &mut [f64], src: &[f64], s: f64) {
    for (d, &x) in dst.iter_mut().zip(src) {
        *d -= x * s;
    }
}

/// `dst[i] += src[i] * s`.
pub(crate) fn add_scaled(dst: &mut [f64], src: &[f64], s: f64) {
    assert_eq!(dst.len(), src.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available (checked just above).
        unsafe { avx2::add_scaled(dst, src, s) };
        return;
    }
    add_scaled_plain(dst, src, s);
}

/// [`add_scaled`] without SIMD.
fn add_scaled_plain(dst: &mut [f64], src: &[f64], s: f64) {
    for (d, &x) in dst.iter_mut().zip(src) {
        *d += x * s;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_storeu_pd,
        _mm256_sub_pd,
    };

    /// # Safety
    /// The CPU must support AVX2; `dst` and `src` have the same length.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sub_scaled(dst: &mut [f64], src: &[f64], s: f64) {
        // SAFETY: the caller's guarantees are those of `scaled`.
        unsafe { scaled::<true>(dst, src, s) }
    }

    /// # Safety
    /// The CPU must support AVX2; `dst` and `src` have the same length.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn add_scaled(dst: &mut [f64], src: &[f64], s: f64) {
        // SAFETY: the caller's guarantees are those of `scaled`.
        unsafe { scaled::<false>(dst, src, s) }
    }

    /// `dst[i] -= src[i] * s` (`SUB`) or `dst[i] += src[i] * s`: a product, then a sum or
    /// difference, eight and four elements at a time.
    ///
    /// # Safety
    /// The CPU must support AVX2; `dst` and `src` have the same length.
    #[target_feature(enable = "avx2")]
    unsafe fn scaled<const SUB: bool>(dst: &mut [f64], src: &[f64], s: f64) {
        let n = dst.len().min(src.len());
        let (d, x) = (dst.as_mut_ptr(), src.as_ptr());
        let sv = _mm256_set1_pd(s);
        let op = |a, p| {
            if SUB {
                _mm256_sub_pd(a, p)
            } else {
                _mm256_add_pd(a, p)
            }
        };
        let mut i = 0;
        // SAFETY: every access is below `n`.
        unsafe {
            while i + 8 <= n {
                let a0 = _mm256_loadu_pd(d.add(i));
                let a1 = _mm256_loadu_pd(d.add(i + 4));
                let p0 = _mm256_mul_pd(_mm256_loadu_pd(x.add(i)), sv);
                let p1 = _mm256_mul_pd(_mm256_loadu_pd(x.add(i + 4)), sv);
                _mm256_storeu_pd(d.add(i), op(a0, p0));
                _mm256_storeu_pd(d.add(i + 4), op(a1, p1));
                i += 8;
            }
            if i + 4 <= n {
                let a0 = _mm256_loadu_pd(d.add(i));
                let p0 = _mm256_mul_pd(_mm256_loadu_pd(x.add(i)), sv);
                _mm256_storeu_pd(d.add(i), op(a0, p0));
                i += 4;
            }
            while i < n {
                if SUB {
                    *d.add(i) -= *x.add(i) * s;
                } else {
                    *d.add(i) += *x.add(i) * s;
                }
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dispatched kernels (AVX2 where the CPU has it) equal the plain
    /// loops bit for bit, on awkward lengths and values.
    #[test]
    fn kernels_match_the_plain_loops() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        for n in [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 425] {
            let src: Vec<f64> = (0..n).map(|_| next() * 1e3).collect();
            let dst: Vec<f64> = (0..n).map(|_| next() / 7.0).collect();
            let s = next() / 3.0;
            let (mut a, mut b) = (dst.clone(), dst.clone());
            sub_scaled(&mut a, &src, s);
            sub_scaled_plain(&mut b, &src, s);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            let (mut a, mut b) = (dst.clone(), dst);
            add_scaled(&mut a, &src, s);
            add_scaled_plain(&mut b, &src, s);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}
