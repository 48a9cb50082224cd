package dev.descent.kernel;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Records everything Descent logs from the very start of the test JVM, before any test can
 * trigger the kernel choice, so a test can count the warnings that choice produced.
 * Registered through {@code META-INF/services}.
 */
public final class LogCapture implements LauncherSessionListener {

    /** Held strongly: java.util.logging keeps loggers only weakly. */
    private static final Logger DESCENT_LOGGER = Logger.getLogger("dev.descent");
    private static final List<LogRecord> RECORDS = new CopyOnWriteArrayList<>();
    private static final Handler HANDLER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            RECORDS.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    static synchronized boolean install() {
        for (Handler h : DESCENT_LOGGER.getHandlers()) {
            if (h == HANDLER) {
                return true;
            }
        }
        DESCENT_LOGGER.addHandler(HANDLER);
        return false;
    }

    /** Everything logged under {@code dev.descent} since the session opened. */
    static List<LogRecord> records() {
        return List.copyOf(RECORDS);
    }
}
