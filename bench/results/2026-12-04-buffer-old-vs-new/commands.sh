#!/usr/bin/env bash
# One interleaved sitting: the bench jar of 228901d (main before the buffer's record sections, "old") and of main
# after them ("new"), alternating, same options. Jars built with bench/run.sh's three mvn lines; OLD and NEW name
# them.
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OUT=${OUT:-$(dirname "$0")}
OLD=${OLD:-/work/bench-228901d.jar}
NEW=${NEW:-/work/bench-s25.jar}
opts=(-f 1 -wi 3 -w 500ms -i 5 -r 500ms -foe true)
b='io\.github\.rseq4j\.bench\.'
hot="${b}(CounterBenchmark\.(perCpuCounterIncrement|perCpuLongArrayAddAll64)|BufferBenchmark\.pushPop(Long)?|PoolBenchmark\.perCpuPool(Direct)?Pair|HistogramBenchmark\.perCpuHistogramRecord(All64)?)$"
for round in 1 2; do
  for v in old new; do
    jar=$OLD; [[ $v == new ]] && jar=$NEW
    for t in 1 2; do
      $J --sun-misc-unsafe-memory-access=allow -jar $jar "$hot" -t $t -p recordBytes=16,64 -p arena=auto \
          "${opts[@]}" -rf json -rff $OUT/$v-r$round-t$t.json > /tmp/buffer-$v-r$round-t$t.log 2>&1
    done
  done
done
echo done
