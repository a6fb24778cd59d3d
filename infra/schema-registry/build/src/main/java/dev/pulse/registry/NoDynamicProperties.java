package dev.pulse.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * The one bean of the config-index extension, which the build leaves out (pom.xml says why). That
 * extension's build step lists the properties an admin may change at run time through the admin API;
 * with none listed, every property keeps its value from static configuration, which is what a
 * registry started for tests wants. Nothing on the Confluent-compatible API reads the list.
 */
@ApplicationScoped
public class NoDynamicProperties {
  @Produces
  @ApplicationScoped
  DynamicConfigPropertyList dynamicProperties() {
    return new DynamicConfigPropertyList(List.of());
  }
}
