/**
 * The update loops on {@code jdk.incubator.vector}: the same float operations, in the same order,
 * as the scalar ones. {@link dev.descent.kernel.Kernels} loads them only where that module is in
 * the boot layer ({@code --add-modules jdk.incubator.vector}).
 */
package dev.descent.kernel.panama;
