#!/usr/bin/env bash
# Builds rseq4j and its JMH benchmarks, runs one profile and renders
# bench/results/<date>-<host>.{md,svg,json}.
#
#   bench/run.sh short                      # about 24 min on 2 cores: threads 1 and 2
#   bench/run.sh full [--threads-max N]     # threads 1..N, N = nproc unless given
set -euo pipefail

usage() {
    echo "usage: $0 short | full [--threads-max N]" >&2
    exit 2
}

invocation="bench/run.sh $*"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

profile=${1:-}
[[ $# -gt 0 ]] && shift
threads_max=$(nproc)
while [[ $# -gt 0 ]]; do
    case $1 in
        --threads-max) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; threads_max=$2; shift 2 ;;
        *) usage ;;
    esac
done

case $profile in
    short) jmh_opts=(-f 2 -wi 3 -w 400ms -i 5 -r 400ms); thread_counts=(1 2) ;;
    full)  jmh_opts=(-f 4 -wi 5 -w 1s -i 8 -r 1s); thread_counts=($(seq 1 "$threads_max")) ;;
    *) usage ;;
esac

# Major version from the JDK's release file (JAVA_VERSION="25.0.1"), 0 if unreadable.
jdk_major() {
    local v
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true)
    echo "${v:-0}"
}

find_jdk() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/javac ]] && (( $(jdk_major "$JAVA_HOME") >= 25 )); then
        echo "$JAVA_HOME"
        return
    fi
    local best="" best_major=0 dir major
    for dir in /usr/lib/jvm/*; do
        [[ -x $dir/bin/javac ]] || continue
        major=$(jdk_major "$dir")
        if (( major >= 25 && major > best_major )); then
            best=$dir best_major=$major
        fi
    done
    [[ -n $best ]] || { echo "no JDK >= 25 in JAVA_HOME or /usr/lib/jvm" >&2; exit 1; }
    echo "$best"
}

JAVA_HOME=$(find_jdk)
export JAVA_HOME
java=$JAVA_HOME/bin/java
# Maven's bundled Guava and JMH's own code touch sun.misc.Unsafe; JDK 24+ would warn about it.
unsafe_allow=--sun-misc-unsafe-memory-access=allow
export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }$unsafe_allow"
echo "JDK: $JAVA_HOME"

mvn -q -f pom.xml install -DskipTests
mvn -q -f integrations/pom.xml install -DskipTests
mvn -q -f bench/pom.xml package

stamp=$(date +%Y%m%d-%H%M%S)
raw=bench/target/jmh/$stamp
mkdir -p "$raw"
jsons=()
commands=()

# Benchmarks of one profile, all in one JMH invocation so that ratios within it compare
# results taken under the same conditions. -foe: a failed benchmark (e.g. a setup check)
# must fail the run rather than leave a hole in the report.
pkg='io\.github\.rseq4j\.bench\.'
scaling="${pkg}(WhichCpu|CarrierThread|VirtualThread|Counter|SpinLock|Histogram|VirtualHistogram|Pool|VirtualPool|JsonPool|Meter)Benchmark\."
single="${pkg}(KernelFields|Registration|PoolTasks|Buffer|Slice)Benchmark\."
first="${pkg}FirstRegistrationBenchmark\."

# Shell quoting for the record in the report: readable, and still pastes back into a shell.
quote() {
    if [[ $1 =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

# jmh NAME [VAR=value]... -- JMH-ARGS...: one JMH invocation; the variables go into its
# environment (JMH forks inherit it), everything else comes from a clean GLIBC_TUNABLES.
jmh() {
    local name=$1; shift
    local vars=()
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    local out=$raw/$name.json
    local cmd=("$java" "$unsafe_allow" -jar bench/target/benchmarks.jar "$@" "${jmh_opts[@]}"
               -foe true -rf json -rff "$out")
    local arg line=""
    for arg in "${vars[@]}" "${cmd[@]}"; do
        line+="${line:+ }$(quote "$arg")"
    done
    commands+=("$line")
    echo "== $name: ${commands[-1]}"
    env -u GLIBC_TUNABLES "${vars[@]}" "${cmd[@]}" 2>&1 | tee "$raw/$name.log"
    jsons+=("$out")
}

# The main runs measure glibc's default (2.35+ registers rseq for every thread); the thread
# counts are separate invocations because JMH's -t applies to a whole run.
for t in "${thread_counts[@]}"; do
    if (( t == 1 )); then
        jmh "t$t" -- -t "$t" "$scaling" "$single"
    else
        jmh "t$t" -- -t "$t" "$scaling"
    fi
done

# A first registration makes syscalls only when rseq4j, not glibc, owns rseq; @Fork cannot set
# environment variables, so this class gets an invocation of its own.
jmh first-registration GLIBC_TUNABLES=glibc.pthread.rseq=0 -- -t 1 "$first"

# Bytes allocated per operation by the pools and buffers (-prof gc's normalized rate): a count, not a
# time, so it stays out of the timing report and gets a file of its own.
jmh alloc -- -t 1 -prof gc "${pkg}(Pool|Buffer)Benchmark\.(perCpu|jackson|pushPop)" -p arena=auto -p recordBytes=16,64
unset 'jsons[-1]'
alloc=bench/results/$(date +%Y-%m-%d)-$(hostname)-alloc.md
{
    echo "# Bytes allocated per operation (JMH -prof gc, gc.alloc.rate.norm), $(date +%Y-%m-%d), $(hostname)"
    echo
    echo "Command: \`${commands[-1]}\`"
    echo
    echo '```'
    grep -E '^Benchmark |^[A-Za-z]+Benchmark\.[A-Za-z]+:gc\.alloc\.rate\.norm ' "$raw/alloc.log"
    echo '```'
} > "$alloc"

report_args=(--out-dir bench/results --command "$invocation")
for c in "${commands[@]}"; do
    report_args+=(--command "$c")
done
"$java" bench/report/Report.java "${report_args[@]}" "${jsons[@]}"
# Objects made by each pool and nativeBytes per counter: counts, not times, so a table of their own.
footprint=bench/results/$(date +%Y-%m-%d)-$(hostname)-footprint.md
"$java" "$unsafe_allow" --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
    io.github.rseq4j.bench.Footprint | tee "$footprint"
echo "Allocation per operation: $alloc"
echo "JMH logs and per-run JSON: $raw"
