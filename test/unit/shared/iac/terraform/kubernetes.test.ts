// Terraform's kubernetes_service means what the same Service means in a manifest: `port` listens
// on NAME.NAMESPACE.svc.<domain>, `target_port` is the selected pods' port.
import { describe, expect, it } from 'vitest';
import { tempProjects } from '../projects.js';
import { extract } from '../../../../../shared/iac/extract.js';

const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
const project = tempProjects('tf-k8s');

const TF = `resource "kubernetes_service" "api" {
  metadata {
    name      = "api"
    namespace = "shop"
  }
  spec {
    selector = {
      app = "api"
    }
    port {
      port        = 80
      target_port = 8080
    }
    port {
      port        = 9000
      target_port = "metrics"
    }
  }
}

resource "kubernetes_deployment" "api" {
  metadata {
    name      = "api"
    namespace = "shop"
  }
  spec {
    template {
      metadata {
        labels = {
          app = "api"
        }
      }
      spec {
        container {
          name = "api"
          port {
            name           = "metrics"
            container_port = 9100
          }
        }
      }
    }
  }
}

resource "kubernetes_service" "db" {
  metadata {
    name      = "db"
    namespace = "shop"
  }
  spec {
    cluster_ip = "None"
    selector = {
      app = "nothing-here"
    }
    port {
      port        = 5432
      target_port = 6432
    }
  }
}
`;

const YAML = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports:
    - {port: 80, targetPort: 8080}
    - {port: 9000, targetPort: metrics}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          ports:
            - {name: metrics, containerPort: 9100}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  selector: {app: nothing-here}
  ports:
    - {port: 5432, targetPort: 6432}
`;

describe('terraform kubernetes_service', () => {
  it('port listens on the Service name, target_port on the selected pods (named: through the containers)', async () => {
    const tf = await extract([await project('tf', { 'main.tf': TF })], opts, { cwd: '/' });
    const rows = tf.endpoints.map((e) => `${e.resource} ${e.host ?? '-'} ${e.port} main.tf:${e.source.line}`);
    expect(rows).toEqual([
      'kubernetes_deployment.api - 8080 main.tf:12',
      'kubernetes_deployment.api - 9100 main.tf:38',
      'kubernetes_service.api api.shop.svc.cluster.local 80 main.tf:11',
      'kubernetes_service.api api.shop.svc.cluster.local 9000 main.tf:15',
      // Headless: the name resolves to the pods, so the target port listens there.
      'kubernetes_service.db db.shop.svc.cluster.local 6432 main.tf:58',
    ]);
    const unresolved = tf.unresolved.map((u) => `${u.resource} ${u.attribute} ${u.expression}`);
    expect(unresolved).toEqual(['kubernetes_service.db spec[0].port[0].target_port 6432']);
    expect(tf.problems).toEqual([]);

    // The manifest extractor says the same of the same objects.
    const yaml = await extract([await project('yaml', { 'app.yaml': YAML })], opts, { cwd: '/' });
    const asTf = (address: string): string =>
      address.replace(/^k8s:(\w+)\/shop\/(\w+)$/, (_, k: string, n: string) => `kubernetes_${k.toLowerCase()}.${n}`);
    const shape = (m: typeof tf): string[] =>
      m.endpoints.map((e) => `${asTf(e.resource)} ${e.host ?? '-'} ${e.port}`).sort();
    expect(shape(tf)).toEqual(shape(yaml));
  });
});
