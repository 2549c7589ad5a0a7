#!/usr/bin/env bash
# One interleaved sitting: the bench jar of b08b748 (start of 2026-12-04, "old") and of main after issues
# 18, 19 and 21 ("new"), alternating, same options. Jars built with bench/run.sh's three mvn lines.
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OUT=${OUT:-$(dirname "$0")}
opts=(-f 1 -wi 3 -w 500ms -i 5 -r 500ms -foe true)
b='io\.github\.rseq4j\.bench\.'
hot="${b}(CounterBenchmark\.perCpuCounterIncrement|WhichCpuBenchmark\.(ffmSchedGetcpuCritical|rseq4jPlainThread|rseq4jRegisteredThread)|SpinLockBenchmark\.lockUnlock|BufferBenchmark\.pushPop|RegistrationBenchmark\.nestedRegisterUnregister|PoolBenchmark\.perCpuPoolPair|HistogramBenchmark\.perCpuHistogramRecord)$"
for round in 1 2; do
  for v in old new; do
    for t in 1 2; do
      $J --sun-misc-unsafe-memory-access=allow -jar /work/bench-$v.jar "$hot" -t $t -p recordBytes=16 -p arena=auto \
          "${opts[@]}" -rf json -rff $OUT/$v-r$round-t$t.json > /tmp/oldnew-$v-r$round-t$t.log 2>&1
    done
    GLIBC_TUNABLES=glibc.pthread.rseq=0 $J --sun-misc-unsafe-memory-access=allow -jar /work/bench-$v.jar \
        "${b}(FirstRegistrationBenchmark\.firstRegisterUnregister|CounterBenchmark\.perCpuCounterIncrement)$" -t 1 \
        "${opts[@]}" -rf json -rff $OUT/$v-r$round-own.json > /tmp/oldnew-$v-r$round-own.log 2>&1
  done
done
echo done
