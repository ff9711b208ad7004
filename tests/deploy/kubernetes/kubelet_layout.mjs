// kubelet_layout.mjs — runs `vncgate check-config` on a vncgate.yaml from the
// manifests, in a directory laid out as the kubelet lays out the Deployment's volumes,
// so that the configuration, the Deployment's mounts and the Secret templates' keys
// are shown to fit together, and the secret files pass vncgate's check as they are in
// a pod.
//
// What the kubelet does (Kubernetes pkg/volume/util/atomic_writer.go and
// pkg/volume/volume_linux.go, SetVolumeOwnership): a Secret volume's files are written
// into a hidden timestamped directory ..2024_01_01_00_00_00.123456789 (mode 0755) with
// the volume's defaultMode; ..data is a symlink to that directory and each key a
// symlink ..data/<key>; with fsGroup the kubelet chowns every file to
// <owner>:fsGroup and ORs in 0440 (the Secret volume is read-only), so 0400 becomes
// 0440. Here the owner is the user running the test and the group its own group, as
// fsGroup is the pod's runAsGroup. The ConfigMap's file is mounted with subPath: a
// plain file at the mount path.
//
// The files' contents are made here, real and valid, for the keys each Secret template
// has: a certificate and key (openssl), the users file with a real hash (vncgate
// hash-password) for every user the template names, a TOTP secret for each of its
// users, an admin token, VNC passwords.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const mountRoot = "/etc/vncgate/";

// Lays out the Deployment's volumes for config under root, runs check-config on the
// configuration file there; returns [] or the problems.
export function checkConfigInPod({ YAML, vncgate, root, deployment, configText, secrets }) {
  const errors = [];
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === "vncgate");
  const material = makeMaterial(root, vncgate);
  const configPath = container.args[container.args.indexOf("--config") + 1];

  for (const mount of container.volumeMounts ?? []) {
    if (!mount.mountPath.startsWith(mountRoot)) {
      errors.push(`volumeMount ${mount.name} at ${mount.mountPath} is outside ${mountRoot}`);
      continue;
    }
    const volume = pod.volumes.find((v) => v.name === mount.name);
    const target = path.join(root, mount.mountPath);
    if (volume?.configMap) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, configText.replaceAll(mountRoot, path.join(root, mountRoot)), { mode: 0o444 });
    } else if (volume?.secret) {
      const template = secrets.get(volume.secret.secretName);
      if (!template) {
        errors.push(`no template for Secret ${volume.secret.secretName}`);
        continue;
      }
      const keys = { ...(template.stringData ?? {}), ...decodeData(template.data) };
      const files = Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, material.forKey(key, value, YAML)]));
      writeAtomicVolume(target, files, volume.secret.defaultMode ?? 0o644);
    } else {
      errors.push(`volumeMount ${mount.name}: no configMap or secret volume`);
    }
  }
  if (errors.length) return errors;

  const run = spawnSync(vncgate, ["check-config", path.join(root, configPath)], { encoding: "utf8" });
  if (run.status !== 0) {
    const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim().split("\n").map((l) => `    ${l}`).join("\n");
    errors.push(`vncgate check-config exited ${run.status ?? run.signal}:\n${output}`);
  }
  return errors;
}

// The kubelet's atomic writer, then SetVolumeOwnership with fsGroup = our own group.
function writeAtomicVolume(dir, files, defaultMode) {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = "..2026_01_01_00_00_00.123456789";
  const data = path.join(dir, stamp);
  fs.mkdirSync(data, { mode: 0o755 });
  fs.chmodSync(data, 0o755);
  const gid = process.getgid();
  for (const [key, content] of Object.entries(files)) {
    const file = path.join(data, key);
    fs.writeFileSync(file, content);
    fs.chownSync(file, process.getuid(), gid);
    fs.chmodSync(file, defaultMode | 0o440);
    fs.symlinkSync(path.join("..data", key), path.join(dir, key));
  }
  fs.symlinkSync(stamp, path.join(dir, "..data"));
}

function decodeData(data) {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
}

// Real secrets, made once per run.
function makeMaterial(root, vncgate) {
  const dir = path.join(root, "material");
  fs.mkdirSync(dir);
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-subj", "/CN=vncgate.example", "-days", "2", "-keyout", key, "-out", cert], { stdio: ["ignore", "ignore", "pipe"] });
  const hash = execFileSync(vncgate, ["hash-password"], { input: "correct horse battery staple\n", encoding: "utf8" }).trim();
  const base32 = (bytes) => [...bytes].map((b) => b.toString(2).padStart(8, "0")).join("")
    .match(/.{1,5}/g).map((b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[parseInt(b.padEnd(5, "0"), 2)]).join("");

  return {
    forKey(name, template, YAML) {
      if (name === "tls.crt") return fs.readFileSync(cert);
      if (name === "tls.key") return fs.readFileSync(key);
      if (name === "admin-token") return `${crypto.randomBytes(32).toString("hex")}\n`;
      if (name === "users.yaml" || name === "totp.yaml") {
        // The template's users, each with a real hash or secret in place of the
        // placeholder: the template's shape goes through vncgate's own parser.
        const value = YAML.parse(template);
        for (const user of Object.values(value?.users ?? {})) {
          if (name === "users.yaml") user.password_hash = hash;
          else user.secret = base32(crypto.randomBytes(20));
        }
        return YAML.stringify(value);
      }
      return `${crypto.randomBytes(6).toString("base64url")}\n`; // a target's VNC password
    },
  };
}
