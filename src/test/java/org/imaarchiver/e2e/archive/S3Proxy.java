package org.imaarchiver.e2e.archive;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An in-process s3proxy (in-memory blob store, SigV4) like archive-format's test {@code S3ProxyServer},
 * started by reflection: s3proxy is a test dependency of archive-format, which Maven does not pass on
 * to this module, so the S3 tests skip unless {@code org.gaul:s3proxy} is on the test classpath.
 */
final class S3Proxy implements AutoCloseable {
    static final String ACCESS_KEY = "test-access-key";
    static final String SECRET_KEY = "test-secret-key-not-a-real-one";

    private final Object proxy;
    final URI endpoint;

    private S3Proxy(Object proxy, URI endpoint) {
        this.proxy = proxy;
        this.endpoint = endpoint;
    }

    static S3Proxy start() throws Exception {
        Class<?> proxyClass;
        try {
            proxyClass = Class.forName("org.gaul.s3proxy.S3Proxy");
        } catch (ClassNotFoundException e) {
            assumeTrue(false, "s3proxy is not on the end-to-end test classpath");
            throw new IllegalStateException(e);
        }
        quietLogging();
        Object blobStore = Class.forName("org.gaul.s3proxy.nio2blob.TransientNio2BlobStore").getConstructor().newInstance();
        Class<?> authType = Class.forName("org.gaul.s3proxy.auth.AuthenticationType");
        Object v2OrV4 = authType.getField("AWS_V2_OR_V4").get(null);
        Object builder = proxyClass.getMethod("builder").invoke(null);
        Class<?> bc = builder.getClass();
        method(bc, "blobStore").invoke(builder, blobStore);
        method(bc, "endpoint").invoke(builder, URI.create("http://127.0.0.1:0"));
        bc.getMethod("awsAuthentication", authType, String.class, String.class).invoke(builder, v2OrV4, ACCESS_KEY, SECRET_KEY);
        Object proxy = bc.getMethod("build").invoke(builder);
        proxyClass.getMethod("start").invoke(proxy);
        for (int i = 0; i < 200 && !"STARTED".equals(proxyClass.getMethod("getState").invoke(proxy)); i++) Thread.sleep(25);
        int port = (int) proxyClass.getMethod("getPort").invoke(proxy);
        return new S3Proxy(proxy, URI.create("http://127.0.0.1:" + port));
    }

    private static Method method(Class<?> c, String name) {
        for (Method m : c.getMethods()) if (m.getName().equals(name) && m.getParameterCount() == 1) return m;
        throw new IllegalStateException("s3proxy builder has no " + name);
    }

    /** Jetty and the SDK log every request at logback's default DEBUG level. */
    private static void quietLogging() {
        try {
            Object root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            Class<?> level = Class.forName("ch.qos.logback.classic.Level");
            root.getClass().getMethod("setLevel", level).invoke(root, level.getField("WARN").get(null));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // not logback: nothing to quiet
        }
    }

    void createBucket(String bucket) {
        try (S3Client c = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build()) {
            c.createBucket(b -> b.bucket(bucket));
        }
    }

    @Override
    public void close() throws Exception {
        proxy.getClass().getMethod("stop").invoke(proxy);
    }
}
