#!/usr/bin/env bash
# One interleaved run: old (f2c6e49) and new (main) bench jars, alternating, same options.
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OUT=/work/jmh-oldnew; mkdir -p $OUT
opts=(-f 1 -wi 3 -w 500ms -i 5 -r 500ms -foe true)
common='io\.github\.rseq4j\.bench\.(CounterBenchmark\.perCpuCounterIncrement|WhichCpuBenchmark\.(ffmSchedGetcpuCritical|rseq4jPlainThread))$'
for round in 1 2; do
  for v in old new; do
    for t in 1 2; do
      $J --sun-misc-unsafe-memory-access=allow -jar /work/bench-$v.jar "$common" -t $t "${opts[@]}" -rf json -rff $OUT/$v-r$round-t$t.json > $OUT/$v-r$round-t$t.log 2>&1
    done
    $J --sun-misc-unsafe-memory-access=allow -jar /work/bench-$v.jar 'io\.github\.rseq4j\.bench\.(BufferBenchmark\.pushPop|WhichCpuBenchmark\.ffmSchedGetcpuCritical)$' -t 1 -p recordBytes=16 $([[ $v == new ]] && echo -p arena=auto) "${opts[@]}" -rf json -rff $OUT/$v-r$round-buf.json > $OUT/$v-r$round-buf.log 2>&1
  done
done
echo done
