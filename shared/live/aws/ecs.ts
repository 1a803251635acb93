// ECS: services (name, task definition, load balancer container port, awsvpc security groups),
// their running tasks (each task's ENI private IP) and the task definitions the services run
// (every container port mapping). Per region: ListClusters → ListServices + DescribeServices (10
// at a time) → ListTasks (RUNNING) + DescribeTasks (100 at a time) → DescribeTaskDefinition once
// per task definition in use. A failing call stops the ECS read of that region: one problem naming
// that call, nothing of ECS read there (a service without its tasks would look like one on no host).
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  type ECSClientConfig,
  type Service,
  type Task,
  type TaskDefinition,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
} from '@aws-sdk/client-ecs';
import type { LiveObject } from '../../types.js';
import { type LiveProblem, guarded, tagsOf } from './errors.js';

export const ecsClient = (config: ECSClientConfig): ECSClient => new ECSClient(config);

const chunks = <T>(list: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

/** Every container port a task definition maps (containerPort, and a differing hostPort in bridge mode). */
export function containerPortsOf(d: TaskDefinition): number[] {
  const ports = new Set<number>();
  for (const c of d.containerDefinitions ?? []) {
    for (const m of c.portMappings ?? []) {
      if (m.containerPort !== undefined) ports.add(m.containerPort);
      if (m.hostPort !== undefined && m.hostPort !== 0) ports.add(m.hostPort);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** A task's private IPs: its awsvpc ENI attachment, else its containers' network interfaces. */
export function taskIpsOf(t: Task): string[] {
  const ips = new Set<string>();
  for (const a of t.attachments ?? []) {
    if (a.type !== 'ElasticNetworkInterface') continue;
    for (const d of a.details ?? []) if (d.name === 'privateIPv4Address' && d.value) ips.add(d.value);
  }
  for (const c of t.containers ?? []) {
    for (const n of c.networkInterfaces ?? []) if (n.privateIpv4Address) ips.add(n.privateIpv4Address);
  }
  return [...ips];
}

export function serviceOf(
  s: Service,
  tasks: readonly Task[],
  def: TaskDefinition | undefined,
  region: string,
): LiveObject | null {
  if (!s.serviceArn || !s.serviceName) return null;
  const ips = [...new Set(tasks.flatMap(taskIpsOf))];
  const lbPort = (s.loadBalancers ?? []).find((l) => l.containerPort !== undefined)?.containerPort;
  return {
    kind: 'ecs-service',
    id: s.serviceArn,
    name: s.serviceName,
    region,
    tags: tagsOf((s.tags ?? []).map((t) => ({ Key: t.key, Value: t.value }))),
    ...(lbPort !== undefined ? { port: lbPort } : {}),
    ...(def ? { ports: containerPortsOf(def) } : {}),
    ...(ips[0] !== undefined ? { address: ips[0] } : {}),
    addresses: ips,
    securityGroups: [...(s.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [])],
  };
}

export function taskDefinitionOf(d: TaskDefinition, region: string): LiveObject | null {
  if (!d.taskDefinitionArn || !d.family) return null;
  const ports = containerPortsOf(d);
  return { kind: 'task-definition', id: d.taskDefinitionArn, name: d.family, region, tags: {}, ports };
}

export async function readEcs(client: ECSClient, region: string, problems: LiveProblem[]): Promise<LiveObject[]> {
  let step = 'ecs:ListClusters';
  return guarded(
    region,
    () => step,
    problems,
    async () => {
      const services: { service: Service; cluster: string }[] = [];
      const tasksOf = new Map<string, Task[]>(); // "cluster service-name" → running tasks
      const clusters: string[] = [];
      for await (const page of paginateListClusters({ client, pageSize: 100 }, {})) {
        clusters.push(...(page.clusterArns ?? []));
      }
      for (const cluster of clusters) {
        step = 'ecs:ListServices';
        const arns: string[] = [];
        for await (const page of paginateListServices({ client, pageSize: 100 }, { cluster })) {
          arns.push(...(page.serviceArns ?? []));
        }
        step = 'ecs:DescribeServices';
        for (const batch of chunks(arns, 10)) {
          const out = await client.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }));
          for (const service of out.services ?? []) services.push({ service, cluster });
        }
        step = 'ecs:ListTasks';
        const taskArns: string[] = [];
        const input = { cluster, desiredStatus: 'RUNNING' as const };
        for await (const page of paginateListTasks({ client, pageSize: 100 }, input)) {
          taskArns.push(...(page.taskArns ?? []));
        }
        step = 'ecs:DescribeTasks';
        for (const batch of chunks(taskArns, 100)) {
          const out = await client.send(new DescribeTasksCommand({ cluster, tasks: batch }));
          for (const t of out.tasks ?? []) {
            // A service's tasks are in the group `service:NAME`.
            if (!t.group?.startsWith('service:') || t.lastStatus !== 'RUNNING') continue;
            const key = `${cluster} ${t.group.slice('service:'.length)}`;
            tasksOf.set(key, [...(tasksOf.get(key) ?? []), t]);
          }
        }
      }
      step = 'ecs:DescribeTaskDefinition';
      const defs = new Map<string, TaskDefinition>();
      for (const arn of new Set(services.map((s) => s.service.taskDefinition).filter((a): a is string => !!a))) {
        const out = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
        if (out.taskDefinition) defs.set(arn, out.taskDefinition);
      }
      const objects: LiveObject[] = [];
      for (const { service, cluster } of services) {
        const def = service.taskDefinition ? defs.get(service.taskDefinition) : undefined;
        const o = serviceOf(service, tasksOf.get(`${cluster} ${service.serviceName}`) ?? [], def, region);
        if (o) objects.push(o);
      }
      // One task definition per family: the newest revision a service runs (what the IaC's family is now).
      const newest = new Map<string, TaskDefinition>();
      for (const d of defs.values()) {
        const seen = d.family ? newest.get(d.family) : undefined;
        if (d.family && (!seen || (d.revision ?? 0) > (seen.revision ?? 0))) newest.set(d.family, d);
      }
      for (const d of newest.values()) {
        const o = taskDefinitionOf(d, region);
        if (o) objects.push(o);
      }
      return objects;
    },
  );
}
