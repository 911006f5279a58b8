// The system programs the test suite needs beyond npm packages, how to tell each is there, and the Debian packages
// that bring it. `npm test` checks them first and stops at once with the one command that installs what is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Runs a command quietly; true when it exits 0. */
function runs(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

/** What the tests use, each with its check and its Debian packages (the same as the fixtures' install hints). */
export const PREREQUISITES = [
  {
    what: 'ffmpeg',
    packages: ['ffmpeg'],
    present: () => runs('ffmpeg', ['-version']) && runs('ffprobe', ['-version']),
  },
  {
    what: 'Chromium',
    packages: ['chromium'],
    present: () => fs.existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
  },
  {
    what: 'redis-server',
    packages: ['redis-server'],
    present: () => runs('redis-server', ['--version']),
  },
  {
    what: 'the GStreamer RTSP server (python3-gi)',
    packages: [
      'python3-gi',
      'gir1.2-gst-rtsp-server-1.0',
      'gstreamer1.0-plugins-base',
      'gstreamer1.0-plugins-good',
      'gstreamer1.0-plugins-bad',
    ],
    present: () =>
      runs('/usr/bin/python3', [
        '-c',
        "import gi; gi.require_version('GstRtspServer','1.0'); from gi.repository import GstRtspServer",
      ]),
  },
  {
    what: "librdkafka's mock cluster (a C compiler and librdkafka's headers)",
    packages: ['librdkafka-dev', 'gcc', 'libc6-dev'],
    present: () => runs('cc', ['--version']) && fs.existsSync('/usr/include/librdkafka/rdkafka_mock.h'),
  },
];

/** The prerequisites that are missing on this machine. */
export function missingPrerequisites() {
  return PREREQUISITES.filter((p) => !p.present());
}

/** The one command that installs `missing` (as root: apt-get itself; otherwise through sudo). */
export function installCommand(missing) {
  const packages = [...new Set(missing.flatMap((p) => p.packages))];
  const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}
