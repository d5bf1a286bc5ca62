//! Throughput of photo encryption (`encrypt_and_encode`: PKCS#7, AES-256-CBC, URL-safe
//! base64) at the sizes photos have: 1 MiB and the 5 MiB upload limit.
//!
//! Run: `cargo bench -p ssencrypt --bench crypto -- --quick`. Compare with
//! `openssl speed -evp aes-256-cbc`: CBC encryption is sequential, so expect the AES part
//! to be bound by one core, with base64 and the copies on top.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ssencrypt::{aes_encrypt, decode_and_decrypt, encrypt_and_encode};

/// Sizes measured, in bytes.
const SIZES: [usize; 2] = [1 << 20, 5 << 20];

fn bench_photo_encryption(c: &mut Criterion) {
    // The Open edX test key (AES-256); the bytes of the key do not affect speed.
    let key = [0x32u8; 32];
    let mut group = c.benchmark_group("encrypt_and_encode");
    for size in SIZES {
        // Arbitrary but not constant data, so nothing can shortcut on zeros.
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &data, |b, data| {
            b.iter(|| encrypt_and_encode(black_box(data), &key))
        });
    }
    group.finish();

    // The cipher alone (padding copy + CBC), to see what base64 adds above.
    let mut group = c.benchmark_group("aes_encrypt");
    for size in SIZES {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &data, |b, data| {
            b.iter(|| aes_encrypt(black_box(data), &key))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("decode_and_decrypt");
    for size in SIZES {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let encoded = encrypt_and_encode(&data, &key).expect("a 32-byte key is valid");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &encoded, |b, encoded| {
            b.iter(|| decode_and_decrypt(black_box(encoded), &key))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_photo_encryption);
criterion_main!(benches);
