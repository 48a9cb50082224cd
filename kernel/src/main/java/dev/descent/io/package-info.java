/**
 * Checkpoints in the safetensors format: {@link dev.descent.io.Checkpoints} saves and restores
 * parameters and optimizer state so that a resumed run continues bit for bit, and so that PyTorch
 * and numpy read the files directly.
 */
package dev.descent.io;
