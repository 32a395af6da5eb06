package dev.graft.adapters.testing;

import dev.graft.core.kernels.Kernels;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Real kernels that count how often each kernel method is called: how tests see how many backbone passes ran. */
public final class CountingKernels {
    private final Kernels kernels;
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

    public CountingKernels(Kernels real) {
        this.kernels = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> {
                    calls.computeIfAbsent(method.getName(), k -> new AtomicLong()).incrementAndGet();
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    public Kernels kernels() {
        return kernels;
    }

    public long calls(String method) {
        AtomicLong n = calls.get(method);
        return n == null ? 0 : n.get();
    }

    public void reset() {
        calls.clear();
    }
}
