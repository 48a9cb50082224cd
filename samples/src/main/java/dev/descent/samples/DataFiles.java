package dev.descent.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/** Reads the gzipped tables shipped in the samples' {@code data/} folder (see its README.md). */
final class DataFiles {

    /** Space-separated columns, as in the diabetes files. */
    static final Pattern WHITESPACE = Pattern.compile("\\s+");
    /** Comma-separated columns, as in the digits file. */
    static final Pattern COMMA = Pattern.compile(",");

    /** Every non-blank line of the gzipped classpath resource, split by {@code separator}. */
    static double[][] readRows(String resource, Pattern separator) {
        final InputStream in = DataFiles.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("resource " + resource + " is not on the classpath");
        }
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(in), StandardCharsets.US_ASCII))) {
            final List<double[]> rows = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    final String[] fields = separator.split(line.trim());
                    final double[] row = new double[fields.length];
                    for (int j = 0; j < fields.length; j++) {
                        row[j] = Double.parseDouble(fields[j]);
                    }
                    rows.add(row);
                }
            }
            return rows.toArray(double[][]::new);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private DataFiles() {
    }
}
