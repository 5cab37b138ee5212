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

/// Several pivots of the basis inverse on one of its columns, in turn: for
/// each `(o, x, r)` of `ops`, `dst[i] -= src[o + i] * x` (skipped when `x`
/// is 0), then `dst[r] = x`. The same roundings in the same order as
/// [`sub_scaled`] once per pivot, but one pass over `dst`.
pub(crate) fn pivot_updates(dst: &mut [f64], src: &[f64], ops: &[(usize, f64, usize)]) {
    let n = dst.len();
    assert!(ops.iter().all(|&(o, _, r)| o + n <= src.len() && r < n));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available (checked just above); every access is
        // in bounds (asserted above).
        unsafe { avx2::pivot_updates(dst, src, ops) };
        return;
    }
    pivot_updates_plain(dst, src, ops);
}

/// [`pivot_updates`] without SIMD.
fn pivot_updates_plain(dst: &mut [f64], src: &[f64], ops: &[(usize, f64, usize)]) {
    let n = dst.len();
    for &(o, x, r) in ops {
        if x != 0.0 {
            sub_scaled_plain(dst, &src[o..o + n], x);
        }
        dst[r] = x;
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
        __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_storeu_pd,
        _mm256_sub_pd,
    };

    /// [`super::pivot_updates`], 32 elements of `dst` at a time kept in
    /// registers across the pivots.
    ///
    /// # Safety
    /// The CPU must support AVX2; `o + dst.len() <= src.len()` and
    /// `r < dst.len()` for every entry of `ops`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn pivot_updates(dst: &mut [f64], src: &[f64], ops: &[(usize, f64, usize)]) {
        const W: usize = 8;
        let n = dst.len();
        let (d, x) = (dst.as_mut_ptr(), src.as_ptr());
        let mut i = 0;
        // SAFETY: every access of `dst` is below `n`, every access of `src`
        // below `o + n` (the caller's guarantee).
        unsafe {
            while i + 4 * W <= n {
                let mut a: [__m256d; W] = [_mm256_set1_pd(0.0); W];
                for (k, v) in a.iter_mut().enumerate() {
                    *v = _mm256_loadu_pd(d.add(i + 4 * k));
                }
                for &(o, s, r) in ops {
                    if s != 0.0 {
                        let sv = _mm256_set1_pd(s);
                        let xs = x.add(o + i);
                        for (k, v) in a.iter_mut().enumerate() {
                            let p = _mm256_mul_pd(_mm256_loadu_pd(xs.add(4 * k)), sv);
                            *v = _mm256_sub_pd(*v, p);
                        }
                    }
                    if r >= i && r < i + 4 * W {
                        // Through memory: rare (once per pivot and column).
                        let mut buf = [0.0f64; 4 * W];
                        for (k, v) in a.iter().enumerate() {
                            _mm256_storeu_pd(buf.as_mut_ptr().add(4 * k), *v);
                        }
                        buf[r - i] = s;
                        for (k, v) in a.iter_mut().enumerate() {
                            *v = _mm256_loadu_pd(buf.as_ptr().add(4 * k));
                        }
                    }
                }
                for (k, v) in a.iter().enumerate() {
                    _mm256_storeu_pd(d.add(i + 4 * k), *v);
                }
                i += 4 * W;
            }
            while i + 4 <= n {
                let mut v = _mm256_loadu_pd(d.add(i));
                for &(o, s, r) in ops {
                    if s != 0.0 {
                        let p = _mm256_mul_pd(_mm256_loadu_pd(x.add(o + i)), _mm256_set1_pd(s));
                        v = _mm256_sub_pd(v, p);
                    }
                    if r >= i && r < i + 4 {
                        let mut buf = [0.0f64; 4];
                        _mm256_storeu_pd(buf.as_mut_ptr(), v);
                        buf[r - i] = s;
                        v = _mm256_loadu_pd(buf.as_ptr());
                    }
                }
                _mm256_storeu_pd(d.add(i), v);
                i += 4;
            }
            while i < n {
                let mut v = *d.add(i);
                for &(o, s, r) in ops {
                    if s != 0.0 {
                        v -= *x.add(o + i) * s;
                    }
                    if r == i {
                        v = s;
                    }
                }
                *d.add(i) = v;
                i += 1;
            }
        }
    }

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
        let mut raw = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = || (raw() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        for n in [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 425] {
            let src: Vec<f64> = (0..n).map(|_| next() * 1e3).collect();
            let dst: Vec<f64> = (0..n).map(|_| next() / 7.0).collect();
            let s = next() / 3.0;
            let (mut a, mut b) = (dst.clone(), dst.clone());
            sub_scaled(&mut a, &src, s);
            sub_scaled_plain(&mut b, &src, s);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            let (mut a, mut b) = (dst.clone(), dst.clone());
            add_scaled(&mut a, &src, s);
            add_scaled_plain(&mut b, &src, s);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            // Several pivots in one pass equal one call per pivot.
            let srcs: Vec<f64> = (0..5 * n).map(|_| next() * 1e2).collect();
            let ops: Vec<(usize, f64, usize)> = (0..5)
                .map(|j| {
                    let x = if j == 2 { 0.0 } else { next() / 3.0 };
                    (j * n, x, if n == 0 { 0 } else { (j * 7 + 3) % n })
                })
                .collect();
            if n > 0 {
                let (mut a, mut b) = (dst.clone(), dst);
                pivot_updates(&mut a, &srcs, &ops);
                for &(o, x, r) in &ops {
                    if x != 0.0 {
                        sub_scaled(&mut b, &srcs[o..o + n], x);
                    }
                    b[r] = x;
                }
                assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
                let mut c = b.clone();
                pivot_updates_plain(&mut c, &srcs, &ops[1..]);
                pivot_updates(&mut b, &srcs, &ops[1..]);
                assert!(b.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()));
            }
        }
    }
}
