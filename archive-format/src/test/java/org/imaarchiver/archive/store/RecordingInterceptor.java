package org.imaarchiver.archive.store;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * Records each HTTP request the SDK is about to sign (operation name and headers). Optionally
 * strips Object Lock headers afterwards, because s3proxy answers them with 501.
 */
final class RecordingInterceptor implements ExecutionInterceptor {
    record Seen(String operation, String method, Map<String, List<String>> headers) {
        String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final boolean stripObjectLock;

    RecordingInterceptor(boolean stripObjectLock) {
        this.stripObjectLock = stripObjectLock;
    }

    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
        SdkHttpRequest r = context.httpRequest();
        seen.add(new Seen(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), r.method().name(), r.headers()));
        if (!stripObjectLock) return r;
        SdkHttpRequest.Builder b = r.toBuilder();
        b.removeHeader("x-amz-object-lock-mode");
        b.removeHeader("x-amz-object-lock-retain-until-date");
        return b.build();
    }

    List<Seen> operations(String operation) {
        return seen.stream().filter(s -> operation.equals(s.operation())).toList();
    }

    long count(String operation) {
        return operations(operation).size();
    }
}
