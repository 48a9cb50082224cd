package dev.descent.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a valid checkpoint, or not one for the parameters or optimizer it is loaded
 * into: truncated, corrupt, malformed header, wrong dtype or shape, missing or unexpected tensors,
 * another optimizer kind or other hyperparameters. The message names the file and what is wrong;
 * the parameters and optimizer it was loaded into are unchanged.
 */
public final class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** What is wrong with the file, without its name: {@link #reason()}. */
    private final String reason;

    /**
     * A refusal of {@code file} because of {@code reason}; the message is
     * {@code "checkpoint <file>: <reason>"}.
     *
     * @param file the file refused
     * @param reason what is wrong with it, without the file name
     */
    public CheckpointException(Path file, String reason) {
        super("checkpoint " + file + ": " + reason);
        this.file = file;
        this.reason = reason;
    }

    /**
     * A refusal of {@code file} because of {@code reason}, found through {@code cause}.
     *
     * @param file the file refused
     * @param reason what is wrong with it, without the file name
     * @param cause the exception that showed it, or null
     */
    public CheckpointException(Path file, String reason, Throwable cause) {
        this(file, reason);
        initCause(cause);
    }

    /** {@return the file refused; null after deserialization, which does not keep it} */
    public Path file() {
        return file;
    }

    /** {@return what is wrong with the file, without its name} */
    public String reason() {
        return reason;
    }
}
