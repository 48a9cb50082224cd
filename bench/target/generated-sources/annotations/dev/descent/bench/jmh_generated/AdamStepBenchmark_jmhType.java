package dev.descent.bench.jmh_generated;
public class AdamStepBenchmark_jmhType extends AdamStepBenchmark_jmhType_B3 {
}

