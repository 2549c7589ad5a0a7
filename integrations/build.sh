#!/usr/bin/env bash
# Builds and tests the integration artifacts (integrations/*) against the core of this checkout:
# installs the core without its tests (CI runs the core's suite separately), then runs every
# integration's tests in one reactor and installs the artifacts (bench/ depends on them).
# Needs JAVA_HOME (JDK 25+) and Maven; downloads from Maven Central only what the poms name.
#
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 integrations/build.sh [extra mvn args]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${JAVA_HOME:?set JAVA_HOME to a JDK 25 or newer}"
export JAVA_HOME
# Maven's bundled Guava touches sun.misc.Unsafe; JDK 24+ would warn about it.
export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"

mvn -B -q -f "$root/pom.xml" install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
mvn -B -f "$root/integrations/pom.xml" install "$@"
