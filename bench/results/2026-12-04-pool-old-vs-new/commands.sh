#!/bin/bash
# Old (b08b748) and new jars alternating, same benchmarks, 1 and 2 threads.
cd "$(dirname "$0")"
: "${OLD_JAR:?the old benchmarks.jar}" "${NEW_JAR:?the new benchmarks.jar}"
J=${JAVA_HOME:?a JDK 25}/bin/java
# old: b08b748 (main before issue 19), new: a911b63 (this branch); each jar built by `mvn -f bench/pom.xml package`
# after `mvn install -DskipTests` of its commit. One fork each, old then new, 1 thread then 2, on the 2-core VM.
re='^io.github.rseq4j.bench.(CounterBenchmark.perCpuCounterIncrement|WhichCpuBenchmark.ffmSchedGetcpuCritical|PoolBenchmark.(perCpuPoolPair|perCpuPoolDirectPair|jacksonLockFreePoolPair|threadLocalCachePair)|BufferBenchmark.pushPop(Long)?|HistogramBenchmark.perCpuHistogramRecord)$'
for t in 1 2; do
  for which in old new; do
    jar=$OLD_JAR; [ $which = new ] && jar=$NEW_JAR
    $J --sun-misc-unsafe-memory-access=allow -jar $jar "$re" -p arena=auto -p recordBytes=16,64 -f 1 -wi 3 -i 5 -w 1s -r 1s -t $t -foe true -rf json -rff cmp-$which-t$t.json > cmp-$which-t$t.log 2>&1
  done
done
