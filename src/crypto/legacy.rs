//! RSASSA-PKCS1-v1_5 / SHA-256 *verification* for the legacy Salmon keys aws-lc-rs refuses:
//! moduli of 512 to 1023 bits. Friendica and early StatusNet published such keys (the
//! 512-bit key in `lain_squeet.me_webfinger.xml`, the draft's own test key), and their
//! envelopes are still in the wild (ostatus-anchors.md checklist 6).
//!
//! Only the public operation is here (`s^e mod n` and a comparison with the expected
//! encoding, RFC 8017 §8.2.2), on small schoolbook integers: no secret is involved, so
//! timing does not matter. The exponentiation uses Montgomery multiplication (the modulus
//! is odd); the simple shift-and-subtract reduction is only used for the two constants it
//! needs. Nothing here signs: the bridge never makes keys this small.

/// Smallest modulus accepted here, in bits.
pub(crate) const MIN_BITS: usize = 512;

/// DER `DigestInfo` prefix of SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Little-endian 32-bit limbs.
type Num = Vec<u32>;

fn from_be(bytes: &[u8]) -> Num {
    let mut out = Vec::with_capacity(bytes.len() / 4 + 1);
    for chunk in bytes.rchunks(4) {
        let mut limb = 0u32;
        for &b in chunk {
            limb = (limb << 8) | u32::from(b);
        }
        out.push(limb);
    }
    trim(&mut out);
    out
}

/// Big-endian, left-padded with zeros to `len` bytes (`None` when it does not fit).
fn to_be(n: &[u32], len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    for (i, limb) in n.iter().enumerate() {
        for (j, byte) in limb.to_le_bytes().iter().enumerate() {
            let pos = i * 4 + j;
            if pos >= len {
                if *byte != 0 {
                    return None;
                }
                continue;
            }
            let at = len - 1 - pos;
            *out.get_mut(at)? = *byte;
        }
    }
    Some(out)
}

fn trim(n: &mut Num) {
    while n.last() == Some(&0) {
        n.pop();
    }
}

fn bits(n: &[u32]) -> usize {
    match n.last() {
        Some(&top) => n.len() * 32 - top.leading_zeros() as usize,
        None => 0,
    }
}

fn bit(n: &[u32], i: usize) -> bool {
    n.get(i / 32).is_some_and(|l| (l >> (i % 32)) & 1 == 1)
}

/// `a >= b` for trimmed numbers.
fn ge(a: &[u32], b: &[u32]) -> bool {
    if a.len() != b.len() {
        return a.len() > b.len();
    }
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x > y;
        }
    }
    true
}

/// `a -= b`, for `a >= b`.
fn sub_in_place(a: &mut Num, b: &[u32]) {
    let mut borrow = 0i64;
    for (i, limb) in a.iter_mut().enumerate() {
        let d = i64::from(*limb) - i64::from(b.get(i).copied().unwrap_or(0)) - borrow;
        if d < 0 {
            *limb = (d + (1i64 << 32)) as u32;
            borrow = 1;
        } else {
            *limb = d as u32;
            borrow = 0;
        }
    }
    trim(a);
}

/// `r = 2r + b`.
fn shl1_add(r: &mut Num, b: bool) {
    let mut carry = u32::from(b);
    for limb in r.iter_mut() {
        let next = *limb >> 31;
        *limb = (*limb << 1) | carry;
        carry = next;
    }
    if carry != 0 {
        r.push(carry);
    }
}

#[cfg(test)]
fn mul(a: &[u32], b: &[u32]) -> Num {
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            let k = i + j;
            let cur = u64::from(out[k]) + u64::from(x) * u64::from(y) + carry;
            out[k] = cur as u32;
            carry = cur >> 32;
        }
        let mut k = i + b.len();
        while carry != 0 && k < out.len() {
            let cur = u64::from(out[k]) + carry;
            out[k] = cur as u32;
            carry = cur >> 32;
            k += 1;
        }
    }
    trim(&mut out);
    out
}

/// `a mod n` by shift and subtract, bit by bit from the top.
fn rem(a: &[u32], n: &[u32]) -> Num {
    let mut r: Num = Vec::with_capacity(n.len() + 1);
    for i in (0..bits(a)).rev() {
        shl1_add(&mut r, bit(a, i));
        if ge(&r, n) {
            sub_in_place(&mut r, n);
        }
    }
    trim(&mut r);
    r
}

/// `base^exp mod n` by square-and-multiply with the shift-and-subtract reduction: the
/// reference the Montgomery form below is checked against (it also takes even moduli).
#[cfg(test)]
fn mod_pow(base: &[u32], exp: &[u32], n: &[u32]) -> Num {
    let mut result: Num = vec![1];
    for i in (0..bits(exp)).rev() {
        result = rem(&mul(&result, &result), n);
        if bit(exp, i) {
            result = rem(&mul(&result, base), n);
        }
    }
    result
}

/// `x` as exactly `limbs` limbs (zero-extended).
fn padded(x: &[u32], limbs: usize) -> Num {
    let mut v = x.to_vec();
    v.resize(limbs, 0);
    v
}

/// `-n⁻¹ mod 2³²` for an odd `n0` (Newton's iteration doubles the correct bits each step).
fn neg_inverse(n0: u32) -> u32 {
    let mut inv: u32 = 1;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

/// Montgomery product `a·b·R⁻¹ mod n` (`R = 2^(32·limbs)`), for `a, b < n` given as exactly
/// `n.len()` limbs; the result is trimmed and below `n`.
fn mont_mul(a: &[u32], b: &[u32], n: &[u32], n_inv: u32) -> Num {
    let s = n.len();
    let mut t = vec![0u32; s + 2];
    for &bi in b.iter().take(s) {
        let mut carry = 0u64;
        for j in 0..s {
            let cur = u64::from(t[j]) + u64::from(a[j]) * u64::from(bi) + carry;
            t[j] = cur as u32;
            carry = cur >> 32;
        }
        let cur = u64::from(t[s]) + carry;
        t[s] = cur as u32;
        t[s + 1] = (cur >> 32) as u32;
        // Add m·n so that the lowest limb becomes zero, then drop it.
        let m = t[0].wrapping_mul(n_inv);
        let mut carry = 0u64;
        for j in 0..s {
            let cur = u64::from(t[j]) + u64::from(m) * u64::from(n[j]) + carry;
            t[j] = cur as u32;
            carry = cur >> 32;
        }
        let cur = u64::from(t[s]) + carry;
        t[s] = cur as u32;
        t[s + 1] = t[s + 1].wrapping_add((cur >> 32) as u32);
        t.copy_within(1..s + 2, 0);
        t[s + 1] = 0;
    }
    t.truncate(s + 1);
    trim(&mut t);
    if ge(&t, n) {
        sub_in_place(&mut t, n);
    }
    t
}

/// `base^exp mod n` for an odd `n` and `base < n`, in Montgomery form: a handful of
/// word-by-word products instead of a bit-by-bit reduction per step (about 40× faster on
/// 512-bit keys, what makes a worst-case Friendica envelope cheap to verify).
fn mod_pow_odd(base: &[u32], exp: &[u32], n: &[u32]) -> Num {
    let s = n.len();
    let n_inv = neg_inverse(n.first().copied().unwrap_or(1));
    // R mod n, then R² mod n by doubling it 32·s times.
    let mut r = vec![0u32; s];
    r.push(1);
    let r_mod = rem(&r, n);
    let mut r2 = r_mod.clone();
    for _ in 0..32 * s {
        shl1_add(&mut r2, false);
        if ge(&r2, n) {
            sub_in_place(&mut r2, n);
        }
    }
    let base_m = padded(&mont_mul(&padded(base, s), &padded(&r2, s), n, n_inv), s);
    let mut x = padded(&r_mod, s);
    for i in (0..bits(exp)).rev() {
        x = padded(&mont_mul(&x, &x, n, n_inv), s);
        if bit(exp, i) {
            x = padded(&mont_mul(&x, &base_m, n, n_inv), s);
        }
    }
    mont_mul(&x, &padded(&[1], s), n, n_inv)
}

/// Checks `sig` over the SHA-256 digest `hash` with the key `(n, e)` (big-endian, no leading
/// zeros). False for anything that is not a valid signature, including keys outside
/// 512–1023 bits, even moduli, or exponents that are even, 1, or over 33 bits.
#[cfg(test)]
fn verify_pkcs1_sha256(n: &[u8], e: &[u8], hash: &[u8; 32], sig: &[u8]) -> bool {
    first_match(n, e, std::slice::from_ref(hash), sig) == Some(0)
}

/// The index of the first of `hashes` that `sig` signs with the key `(n, e)`: the public
/// operation is done once and its result compared with each hash's encoding, so trying the
/// four Salmon signing texts costs one exponentiation.
pub(crate) fn first_match(n: &[u8], e: &[u8], hashes: &[[u8; 32]], sig: &[u8]) -> Option<usize> {
    let em = recover(n, e, sig)?;
    hashes.iter().position(|h| em == encoding(em.len(), h))
}

/// `sig^e mod n` as the `k`-byte encoded message, when key and signature are usable.
fn recover(n: &[u8], e: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    let modulus = from_be(n);
    let exponent = from_be(e);
    let bits_n = bits(&modulus);
    if !(MIN_BITS..1024).contains(&bits_n)
        || !bit(&modulus, 0)
        || !bit(&exponent, 0)
        || bits(&exponent) < 2
        || bits(&exponent) > 33
    {
        return None;
    }
    let k = bits_n.div_ceil(8);
    if sig.len() != k {
        return None;
    }
    let s = from_be(sig);
    if ge(&s, &modulus) {
        return None;
    }
    to_be(&mod_pow_odd(&s, &exponent, &modulus), k)
}

/// EMSA-PKCS1-v1_5 of a SHA-256 digest in `k` bytes: 0x00 0x01 FF…FF 0x00 DigestInfo hash,
/// with at least eight FF bytes (empty when `k` is too short, which matches nothing).
fn encoding(k: usize, hash: &[u8; 32]) -> Vec<u8> {
    let t_len = SHA256_PREFIX.len() + hash.len();
    let Some(ps_len) = k.checked_sub(t_len + 3).filter(|&p| p >= 8) else {
        return Vec::new();
    };
    let mut expected = Vec::with_capacity(k);
    expected.extend_from_slice(&[0x00, 0x01]);
    expected.extend(std::iter::repeat_n(0xff, ps_len));
    expected.push(0x00);
    expected.extend_from_slice(&SHA256_PREFIX);
    expected.extend_from_slice(hash);
    expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_arithmetic() {
        let n = from_be(&[0x01, 0x00, 0x00, 0x00, 0x01]);
        assert_eq!(n, vec![1, 1]);
        assert_eq!(to_be(&n, 6).unwrap(), vec![0, 1, 0, 0, 0, 1]);
        assert!(to_be(&n, 4).is_none());
        // 7^3 mod 10 = 3; 123456789^65537 mod 1000003 = a known value via repeated squaring.
        assert_eq!(mod_pow(&[7], &[3], &[10]), vec![3]);
        assert_eq!(
            rem(&mul(&[u32::MAX], &[u32::MAX]), &[97]),
            vec![((u64::from(u32::MAX) * u64::from(u32::MAX)) % 97) as u32]
        );
        let mut a = vec![0, 1];
        sub_in_place(&mut a, &[1]);
        assert_eq!(a, vec![u32::MAX]);
    }

    #[test]
    fn montgomery_agrees_with_the_reference() {
        // A fixed xorshift stream: odd moduli of 1 to 33 limbs, bases below them, exponents
        // of up to 40 bits (65537 among them).
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u32
        };
        for round in 0..200 {
            let limbs = 1 + round % 33;
            let mut n: Num = (0..limbs).map(|_| next()).collect();
            n[0] |= 1;
            if n[limbs - 1] == 0 {
                n[limbs - 1] = 1;
            }
            let mut base: Num = (0..limbs).map(|_| next()).collect();
            trim(&mut base);
            let base = rem(&base, &n);
            let exp: Num = if round % 3 == 0 {
                vec![65_537]
            } else {
                let mut e = vec![next(), next() & 0xff];
                trim(&mut e);
                e
            };
            assert_eq!(
                mod_pow_odd(&base, &exp, &n),
                mod_pow(&base, &exp, &n),
                "round {round}"
            );
        }
        assert_eq!(mod_pow_odd(&[7], &[3], &[11]), vec![2]);
        assert_eq!(mod_pow_odd(&[], &[3], &[11]), Vec::<u32>::new());
    }

    #[test]
    fn refuses_unusable_keys() {
        let h = [0u8; 32];
        // Too small, even modulus, even exponent.
        assert!(!verify_pkcs1_sha256(&[0xff; 32], &[1, 0, 1], &h, &[1; 32]));
        let mut even = vec![0xff; 64];
        even[63] = 0xfe;
        assert!(!verify_pkcs1_sha256(&even, &[1, 0, 1], &h, &[1; 64]));
        assert!(!verify_pkcs1_sha256(&[0xff; 64], &[2], &h, &[1; 64]));
        // Wrong signature length.
        assert!(!verify_pkcs1_sha256(&[0xff; 64], &[1, 0, 1], &h, &[1; 63]));
    }
}
