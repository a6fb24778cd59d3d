// The `cluster` profile of docker-compose.yml, checked statically like the rest of the file (no Docker
// engine here): the servers that infra/clickhouse/cluster/config.d/cluster.xml names are the profile's
// services, each knows its own shard and replica, all reach the one Keeper, mount the files they need
// and share the cluster's secret, and the cluster's processors name the cluster the servers define.
// test/integration/cluster-ddl.test.ts loads the same config into a real engine.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, environment, flagValue, hostPort, listeningPorts, loadCompose, words, type Service } from './compose.ts'

const compose = loadCompose()
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8').replace(/<!--[\s\S]*?-->/g, '')
const clusterXml = read('infra/clickhouse/cluster/config.d/cluster.xml')
const keeperXml = read('infra/clickhouse/keeper/keeper.xml')

const clusterName = /<remote_servers>\s*<(\w+)>/.exec(clusterXml)?.[1] ?? ''
const shards = [...clusterXml.matchAll(/<shard>([\s\S]*?)<\/shard>/g)].map((shard) =>
  [...(shard[1] ?? '').matchAll(/<replica><host>([^<]+)<\/host><port>(\d+)<\/port><\/replica>/g)].map((replica) => ({ host: replica[1] ?? '', port: Number(replica[2]) })),
)
const replicas = shards.flat()
const service = (name: string): Service => compose.services[name] ?? {}
const mounts = (name: string): string[] => (service(name).volumes ?? []).map(String)

describe('the cluster profile', () => {
  it('is two shards of two internally replicated servers, each a service of the profile only', () => {
    expect(clusterName).toBe('pulse_cluster')
    expect(shards.map((shard) => shard.length)).toEqual([2, 2])
    expect(clusterXml.match(/<internal_replication>true<\/internal_replication>/g)).toHaveLength(2)
    for (const { host, port } of replicas) {
      expect(service(host).profiles, host).toEqual(['cluster'])
      expect(service(host).hostname, `${host} answers to the name the other servers use`).toBe(host)
      expect([...listeningPorts(service(host))], host).toEqual(expect.arrayContaining([port, 8123, 9009]))
    }
  })

  it("leaves the default stack as it was: only the profile's services are in the profile", () => {
    const profiled = Object.entries(compose.services).filter(([, entry]) => entry.profiles !== undefined).map(([name]) => name).sort()
    expect(profiled).toEqual(['clickhouse-keeper', ...replicas.map((replica) => replica.host), 'pulse-process-cluster'].sort())
  })

  it('gives each server the shard and replica macros of its place in remote_servers', () => {
    shards.forEach((shard, index) => {
      for (const { host } of shard) {
        const env = environment(service(host))
        expect(env.PULSE_CLICKHOUSE_SHARD, host).toBe(String(index + 1).padStart(2, '0'))
        expect(env.PULSE_CLICKHOUSE_REPLICA, host).toBe(host)
      }
    })
    for (const macro of ['shard', 'replica']) expect(clusterXml).toMatch(new RegExp(`<${macro} from_env="PULSE_CLICKHOUSE_${macro.toUpperCase()}"/>`))
  })

  it('shares one cluster secret, from a variable every server sets to the same value', () => {
    const variable = /<secret from_env="(\w+)"\/>/.exec(clusterXml)?.[1] ?? ''
    const values = new Set(replicas.map(({ host }) => environment(service(host))[variable]))
    expect(values.size).toBe(1)
    expect([...values][0]).toBeTruthy()
  })

  it('points every server at the Keeper service, on the port Keeper serves, and waits for it', () => {
    const [, host = '', port = ''] = /<zookeeper>\s*<node><host>([^<]+)<\/host><port>(\d+)<\/port><\/node>/.exec(clusterXml) ?? []
    expect(service(host).profiles).toEqual(['cluster'])
    expect(keeperXml).toContain(`<tcp_port>${port}</tcp_port>`)
    expect(keeperXml).toMatch(new RegExp(`<hostname>${host}</hostname>`))
    expect(service(host).hostname).toBe(host)
    expect([...listeningPorts(service(host))]).toContain(Number(port))
    const config = /--config-file=(\S+)/.exec(words(service(host).entrypoint).join(' '))?.[1]
    expect(mounts(host).some((volume) => volume === `./infra/clickhouse/keeper/keeper.xml:${config}:ro`), 'keeper.xml is mounted where Keeper reads it').toBe(true)
    for (const { host: server } of replicas) {
      expect((service(server).depends_on as Record<string, { condition?: string }>)[host]?.condition, server).toBe('service_healthy')
    }
  })

  it("mounts the single server's users and config and the cluster's on every server", () => {
    for (const { host } of replicas) {
      for (const file of ['users.d/pulse.xml', 'config.d/pulse.xml']) expect(mounts(host), host).toContain(`./infra/clickhouse/${file}:/etc/clickhouse-server/${file}:ro`)
      for (const file of ['users.d/cluster.xml', 'config.d/cluster.xml']) expect(mounts(host), host).toContain(`./infra/clickhouse/cluster/${file}:/etc/clickhouse-server/${file}:ro`)
    }
  })

  it('runs processors that migrate and write with the cluster layout, in a consumer group of their own, once every server is up', () => {
    const processor = service('pulse-process-cluster')
    const command = words(processor.command)
    expect(flagValue(command, '--clickhouse-cluster')).toBe(clusterName)
    expect(replicas.map((replica) => replica.host)).toContain(hostPort(flagValue(command, '--clickhouse') ?? '').host)
    const group = flagValue(command, '--group')
    expect(group).toBeDefined()
    expect(group).not.toBe(flagValue(words(service('pulse-process').command), '--group') ?? 'pulse-processors')
    const dependsOn = processor.depends_on as Record<string, { condition?: string }>
    for (const { host } of replicas) expect(dependsOn[host]?.condition, host).toBe('service_healthy')
  })
})
