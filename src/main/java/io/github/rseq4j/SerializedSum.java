package io.github.rseq4j;

import java.io.Serial;
import java.io.Serializable;

/**
 * Package-private machinery, not API.
 * What a serialized {@link PerCpuCounter} or {@link PerCpuDoubleAdder} is: its indexing and its sum (the double's
 * raw bits for the adder). Native cells cannot travel, so a new structure is read back, holding the sum.
 *
 * @param indexing the structure's indexing
 * @param sum      the counter's sum, or the adder's sum as raw double bits
 * @param isDouble whether it is an adder's
 */
record SerializedSum(PerCpuIndexing indexing, long sum, boolean isDouble) implements Serializable {

    @Serial
    private Object readResolve() {
        if (isDouble) {
            PerCpuDoubleAdder adder = new PerCpuDoubleAdder(indexing);
            adder.add(Double.longBitsToDouble(sum));
            return adder;
        }
        PerCpuCounter counter = new PerCpuCounter(indexing);
        counter.add(sum);
        return counter;
    }
}
