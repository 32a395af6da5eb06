package dev.graft.adapters.adapter;

import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteShape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every adapter type keeps the same way: its names, the sites it attaches to, and the parameters of each site
 * (registered in site order, which is the order of {@link #parameters()} and of the tensors in its files). A new
 * type extends this and adds its hooks, its PEFT config and its description.
 */
public abstract class SiteAdapter implements Adapter {
    private final String typeName;
    private final String peftType;
    private final List<SiteShape> sites;
    private final Map<Site, Parameter[]> perSite = new LinkedHashMap<>();
    private final List<Parameter> all = new ArrayList<>();

    protected SiteAdapter(String typeName, String peftType, List<SiteShape> sites) {
        this.typeName = typeName;
        this.peftType = peftType;
        this.sites = List.copyOf(sites);
    }

    /** Registers the parameters of one site (from the constructor, in site order). */
    protected final void register(Site site, Parameter... parameters) {
        if (perSite.putIfAbsent(site, parameters.clone()) != null) {
            throw new IllegalArgumentException(typeName + ": " + site + " is registered twice");
        }
        all.addAll(List.of(parameters));
    }

    /** The parameters registered at {@code site} (the live array: read it, do not change it), or null. */
    protected final Parameter[] at(Site site) {
        return perSite.get(site);
    }

    /** Every site's parameters, in site order. */
    protected final Map<Site, Parameter[]> perSite() {
        return Collections.unmodifiableMap(perSite);
    }

    @Override
    public final String typeName() {
        return typeName;
    }

    @Override
    public final String peftType() {
        return peftType;
    }

    @Override
    public final List<Parameter> parameters() {
        return List.copyOf(all);
    }

    @Override
    public final List<SiteShape> sites() {
        return sites;
    }
}
