package dev.descent.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;

/** A logger that keeps every message, for tests of what the library warns about. */
public final class RecordingLogger implements System.Logger {
    private final List<String> messages = new ArrayList<>();

    /** The messages logged so far, in order. */
    public List<String> messages() {
        return messages;
    }

    @Override
    public String getName() {
        return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        messages.add(msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        messages.add(format);
    }
}
