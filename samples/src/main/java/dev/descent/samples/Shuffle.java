package dev.descent.samples;

import java.util.Random;

/** Random orders of examples, for mini-batches and data splits; always from a seeded {@link Random}. */
final class Shuffle {

    /** 0, 1, ..., n - 1 in a random order. */
    static int[] permutation(int n, Random random) {
        final int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        shuffle(order, random);
        return order;
    }

    /** Fisher-Yates, in place: every order equally likely. */
    static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    private Shuffle() {
    }
}
