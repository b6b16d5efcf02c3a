package dev.gradsweep.recurrent;

/**
 * Spectral radius max |λ| of a real square matrix, from all its eigenvalues: Householder reduction to upper
 * Hessenberg form, then Francis double-shift QR iterations (the EISPACK orthes/hqr scheme, eigenvalues only).
 * Power iteration is not used because it does not converge when the largest eigenvalues are a complex-conjugate
 * pair, the typical case for a random real matrix. O(n³): a few ms at n = 128.
 */
public final class SpectralRadius {
    private SpectralRadius() {}

    /** @param w n × n, row-major */
    public static double of(double[] w, int n) {
        double[][] re = eigenvalues(w, n);
        double r = 0;
        for (int i = 0; i < n; i++) r = Math.max(r, Math.hypot(re[0][i], re[1][i]));
        return r;
    }

    /** {real parts, imaginary parts} of the eigenvalues of w (n × n row-major), in no particular order. */
    static double[][] eigenvalues(double[] w, int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(w, i * n, a[i], 0, n);
        hessenberg(a, n);
        double[] d = new double[n], e = new double[n];
        qr(a, n, d, e);
        return new double[][] {d, e};
    }

    /** In place: a ← QᵀaQ upper Hessenberg (Householder reflections, scaled against overflow). */
    private static void hessenberg(double[][] a, int n) {
        double[] u = new double[n];
        for (int m = 1; m < n - 1; m++) {
            double scale = 0;
            for (int i = m; i < n; i++) scale += Math.abs(a[i][m - 1]);
            if (scale == 0) continue;
            double h = 0;
            for (int i = n - 1; i >= m; i--) {
                u[i] = a[i][m - 1] / scale;
                h += u[i] * u[i];
            }
            double g = Math.sqrt(h);
            if (u[m] > 0) g = -g;
            h -= u[m] * g;
            u[m] -= g;
            for (int j = m; j < n; j++) { // a ← (I − u uᵀ/h) a
                double f = 0;
                for (int i = n - 1; i >= m; i--) f += u[i] * a[i][j];
                f /= h;
                for (int i = m; i < n; i++) a[i][j] -= f * u[i];
            }
            for (int i = 0; i < n; i++) { // a ← a (I − u uᵀ/h)
                double f = 0;
                for (int j = n - 1; j >= m; j--) f += u[j] * a[i][j];
                f /= h;
                for (int j = m; j < n; j++) a[i][j] -= f * u[j];
            }
            a[m][m - 1] = scale * g;
            for (int i = m + 1; i < n; i++) a[i][m - 1] = 0;
        }
    }

    /** Eigenvalues of an upper Hessenberg matrix (destroyed) into d + i·e. */
    private static void qr(double[][] h, int size, double[] d, double[] e) {
        final double eps = 0x1p-52;
        int n = size - 1;
        double exshift = 0, p = 0, q = 0, r = 0, s, z = 0, x, y, w;
        double norm = 0;
        for (int i = 0; i < size; i++) for (int j = Math.max(i - 1, 0); j < size; j++) norm += Math.abs(h[i][j]);
        int iter = 0, total = 0;
        while (n >= 0) {
            // a single small sub-diagonal element splits the matrix
            int l = n;
            while (l > 0) {
                s = Math.abs(h[l - 1][l - 1]) + Math.abs(h[l][l]);
                if (s == 0) s = norm;
                if (Math.abs(h[l][l - 1]) < eps * s) break;
                l--;
            }
            if (l == n) { // one root
                d[n] = h[n][n] + exshift;
                e[n] = 0;
                n--;
                iter = 0;
            } else if (l == n - 1) { // two roots: the trailing 2 × 2 block
                w = h[n][n - 1] * h[n - 1][n];
                p = (h[n - 1][n - 1] - h[n][n]) / 2;
                q = p * p + w;
                z = Math.sqrt(Math.abs(q));
                x = h[n][n] + exshift;
                if (q >= 0) {
                    z = p >= 0 ? p + z : p - z;
                    d[n - 1] = x + z;
                    d[n] = z != 0 ? x - w / z : d[n - 1];
                    e[n - 1] = 0;
                    e[n] = 0;
                } else {
                    d[n - 1] = x + p;
                    d[n] = x + p;
                    e[n - 1] = z;
                    e[n] = -z;
                }
                n -= 2;
                iter = 0;
            } else {
                if (++total > 100 * size) throw new ArithmeticException("eigenvalue iteration did not converge");
                x = h[n][n];
                y = h[n - 1][n - 1];
                w = h[n][n - 1] * h[n - 1][n];
                if (iter == 10) { // exceptional shifts break cycles
                    exshift += x;
                    for (int i = 0; i <= n; i++) h[i][i] -= x;
                    s = Math.abs(h[n][n - 1]) + Math.abs(h[n - 1][n - 2]);
                    x = y = 0.75 * s;
                    w = -0.4375 * s * s;
                }
                if (iter == 30) {
                    s = (y - x) / 2;
                    s = s * s + w;
                    if (s > 0) {
                        s = Math.sqrt(s);
                        if (y < x) s = -s;
                        s = x - w / ((y - x) / 2 + s);
                        for (int i = 0; i <= n; i++) h[i][i] -= s;
                        exshift += s;
                        x = y = w = 0.964;
                    }
                }
                iter++;
                // two consecutive small sub-diagonal elements: start the double step there
                int m = n - 2;
                while (m >= l) {
                    z = h[m][m];
                    r = x - z;
                    s = y - z;
                    p = (r * s - w) / h[m + 1][m] + h[m][m + 1];
                    q = h[m + 1][m + 1] - z - r - s;
                    r = h[m + 2][m + 1];
                    s = Math.abs(p) + Math.abs(q) + Math.abs(r);
                    p /= s;
                    q /= s;
                    r /= s;
                    if (m == l) break;
                    if (Math.abs(h[m][m - 1]) * (Math.abs(q) + Math.abs(r))
                            < eps
                                    * (Math.abs(p)
                                            * (Math.abs(h[m - 1][m - 1]) + Math.abs(z) + Math.abs(h[m + 1][m + 1]))))
                        break;
                    m--;
                }
                for (int i = m + 2; i <= n; i++) {
                    h[i][i - 2] = 0;
                    if (i > m + 2) h[i][i - 3] = 0;
                }
                for (int k = m; k <= n - 1; k++) { // the double QR step on rows l..n, columns m..n
                    boolean notLast = k != n - 1;
                    if (k != m) {
                        p = h[k][k - 1];
                        q = h[k + 1][k - 1];
                        r = notLast ? h[k + 2][k - 1] : 0;
                        x = Math.abs(p) + Math.abs(q) + Math.abs(r);
                        if (x == 0) continue;
                        p /= x;
                        q /= x;
                        r /= x;
                    } else x = 0;
                    s = Math.sqrt(p * p + q * q + r * r);
                    if (p < 0) s = -s;
                    if (s == 0) continue;
                    if (k != m) h[k][k - 1] = -s * x;
                    else if (l != m) h[k][k - 1] = -h[k][k - 1];
                    p += s;
                    x = p / s;
                    y = q / s;
                    z = r / s;
                    q /= p;
                    r /= p;
                    for (int j = k; j < size; j++) {
                        p = h[k][j] + q * h[k + 1][j];
                        if (notLast) {
                            p += r * h[k + 2][j];
                            h[k + 2][j] -= p * z;
                        }
                        h[k][j] -= p * x;
                        h[k + 1][j] -= p * y;
                    }
                    for (int i = 0; i <= Math.min(n, k + 3); i++) {
                        p = x * h[i][k] + y * h[i][k + 1];
                        if (notLast) {
                            p += z * h[i][k + 2];
                            h[i][k + 2] -= p * r;
                        }
                        h[i][k] -= p;
                        h[i][k + 1] -= p * q;
                    }
                }
            }
        }
    }
}
