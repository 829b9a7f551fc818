/**
 * Vocabulary of the systemd units the stack renders and discover reads back (one place for both):
 * websockify's options that take a value, and the certificate fix-up's "renew only near expiry"
 * condition.
 */

/** websockify options that take a value (websockify --help, Debian 12's websockify 0.10). */
export const WEBSOCKIFY_VALUE_OPTIONS: readonly string[] = [
  "--web",
  "--heartbeat",
  "--idle-timeout",
  "--timeout",
  "--cert",
  "--key",
  "--key-password",
  "--ssl-version",
  "--ssl-ciphers",
  "--record",
  "--run-once",
  "--target-config",
  "--token-plugin",
  "--token-source",
  "--auth-plugin",
  "--auth-source",
  "--log-file",
  "--syslog",
  "--file-only",
  "--web-auth",
  "--host-token",
  "--unix-target",
  "--inetd",
];

/** The node certificate the fix-up renews (pve-cluster writes it; /etc/pve/local links to the node's directory). */
export const PVE_SSL_PEM = "/etc/pve/local/pve-ssl.pem";

/**
 * The ExecCondition that lets the fix-up run only when the node certificate expires within `days`:
 * `openssl x509 -checkend S` exits 0 while the certificate is still valid S seconds from now, so the
 * condition negates it (systemd skips the unit, not failing it, when an ExecCondition exits 1-254).
 */
export function certCheckendCondition(days: number, openssl = "/usr/bin/openssl"): string {
  return `/bin/sh -c '! ${openssl} x509 -checkend ${days * 86400} -noout -in ${PVE_SSL_PEM}'`;
}

/** Matches {@link certCheckendCondition}'s text (any openssl path, white space free); group 1 is the seconds. */
export const CERT_CHECKEND_PATTERN = /^\/bin\/sh -c '!\s*\S*openssl x509 -checkend (\d+) -noout -in \/etc\/pve\/local\/pve-ssl\.pem\s*'$/;
