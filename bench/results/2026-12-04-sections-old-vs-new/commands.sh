#!/usr/bin/env bash
# One interleaved sitting: the bench jar of b5f1249 (main before the sections of issue 19's second stop, "old")
# and of main after them ("new", dbcc5df), alternating, same options. Jars built with bench/run.sh's
# three mvn lines; OLD and NEW name them.
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OUT=${OUT:-$(dirname "$0")}
OLD=${OLD:-/work/bench-b5f1249.jar}
NEW=${NEW:-/work/bench-head.jar}
opts=(-f 1 -wi 3 -w 500ms -i 5 -r 500ms -foe true)
b='io\.github\.rseq4j\.bench\.'
hot="${b}(CounterBenchmark\.perCpuCounterIncrement|WhichCpuBenchmark\.(ffmSchedGetcpuCritical|rseq4jPlainThread|rseq4jRegisteredThread)|SpinLockBenchmark\.lockUnlock|BufferBenchmark\.pushPop|RegistrationBenchmark\.nestedRegisterUnregister|PoolBenchmark\.perCpuPool(Direct)?Pair|HistogramBenchmark\.perCpuHistogramRecord)$"
for round in 1 2; do
  for v in old new; do
    jar=$OLD; [[ $v == new ]] && jar=$NEW
    for t in 1 2; do
      $J --sun-misc-unsafe-memory-access=allow -jar $jar "$hot" -t $t -p recordBytes=16 -p arena=auto \
          "${opts[@]}" -rf json -rff $OUT/$v-r$round-t$t.json > /tmp/sections-$v-r$round-t$t.log 2>&1
    done
    GLIBC_TUNABLES=glibc.pthread.rseq=0 $J --sun-misc-unsafe-memory-access=allow -jar $jar \
        "${b}(FirstRegistrationBenchmark\.firstRegisterUnregister|CounterBenchmark\.perCpuCounterIncrement)$" -t 1 \
        "${opts[@]}" -rf json -rff $OUT/$v-r$round-own.json > /tmp/sections-$v-r$round-own.log 2>&1
  done
done
echo done
