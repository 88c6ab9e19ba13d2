//! Compile-time benchmarks on synthetic pipelines (see BENCHMARKS.md).
//!
//! ```text
//! cargo bench --bench compile
//! ```
//!
//! Two groups, each at 100 and 1,000 stages (5 jobs × 10 steps a stage):
//! - `parse_check`: `relc::compile` (parse, lower, check, and dropping the result);
//! - `parse_check_templated`: the same on the templated form of the pipeline;
//! - `emit`: `relc::backend::azure::emit` of an already checked pipeline.
//!
//! 10,000 stages take seconds an iteration; they are timed as whole commands
//! instead (BENCHMARKS.md).

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::hint::black_box;
use std::time::Duration;

#[path = "../examples/gen_pipeline.rs"]
mod gen_pipeline;

const SIZES: [usize; 2] = [100, 1_000];

/// Large inputs take a good part of a second each: few flat samples.
fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    stages: usize,
) {
    if stages >= 1_000 {
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(10));
    } else {
        group
            .sample_size(30)
            .measurement_time(Duration::from_secs(8));
    }
}

fn parse_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_check");
    for stages in SIZES {
        let text = gen_pipeline::generate(stages);
        let probe = relc::compile("bench.release", &text);
        assert!(
            !probe.has_errors(),
            "the generated pipeline must compile cleanly"
        );
        drop(probe);
        configure(&mut group, stages);
        group.throughput(Throughput::Elements(stages as u64));
        group.bench_with_input(BenchmarkId::from_parameter(stages), &text, |b, text| {
            b.iter(|| relc::compile("bench.release", black_box(text)))
        });
    }
    group.finish();
}

/// The same pipelines written with templates (`gen_pipeline --templated`):
/// little text to parse, the same checking and expansion work.
fn parse_check_templated(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_check_templated");
    for stages in SIZES {
        let text = gen_pipeline::generate_templated(stages);
        assert!(!relc::compile("bench.release", &text).has_errors());
        configure(&mut group, stages);
        group.throughput(Throughput::Elements(stages as u64));
        group.bench_with_input(BenchmarkId::from_parameter(stages), &text, |b, text| {
            b.iter(|| relc::compile("bench.release", black_box(text)))
        });
    }
    group.finish();
}

fn emit(c: &mut Criterion) {
    let mut group = c.benchmark_group("emit");
    for stages in SIZES {
        let text = gen_pipeline::generate(stages);
        let compiled = relc::compile("bench.release", &text);
        let pipeline = compiled
            .pipeline
            .as_ref()
            .expect("the generated pipeline must compile cleanly");
        configure(&mut group, stages);
        group.throughput(Throughput::Elements(stages as u64));
        group.bench_with_input(BenchmarkId::from_parameter(stages), pipeline, |b, p| {
            b.iter(|| relc::backend::azure::emit(black_box(p), "bench.release").unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, parse_check, parse_check_templated, emit);
criterion_main!(benches);
