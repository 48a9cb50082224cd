package dev.descent.bench;

/** One way of doing an optimizer step over some memory: what the benchmarks time and compare. */
interface Stepper extends AutoCloseable {

    /** One step over every element. */
    void step();

    /** Frees the memory and stops the threads the stepper holds. */
    @Override
    void close();
}
