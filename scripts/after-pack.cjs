// electron-builder afterPack hook: flips Electron's fuses in the packaged binary, before signing.
//   RunAsNode off                     ELECTRON_RUN_AS_NODE cannot turn the app into a general-purpose Node
//   NodeOptions / inspect off         no code injection through NODE_OPTIONS or --inspect
//   EmbeddedAsarIntegrityValidation   app.asar must match the hash embedded at packaging time
//   OnlyLoadAppFromAsar               the app is loaded only from app.asar, never from a loose folder
//   CookieEncryption on               the session cookie store is encrypted with the OS key
// The backend runs as an Electron utilityProcess, which needs none of the disabled features.
// A CommonJS hook: electron-builder loads it with require() on every version.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const path = require('node:path');

/** The path of the packaged Electron executable for a platform. */
function executablePath(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(context.appOutDir, `${name}.app`, 'Contents', 'MacOS', name);
    case 'win32':
      return path.join(context.appOutDir, `${name}.exe`);
    default:
      return path.join(context.appOutDir, context.packager.executableName);
  }
}

/** The fuse settings (keys are @electron/fuses' FuseV1Options). */
function fuseConfig(fuses, platform, arch) {
  const { FuseVersion, FuseV1Options } = fuses;
  return {
    version: FuseVersion.V1,
    // An arm64 macOS binary is ad-hoc signed; flipping fuses invalidates that signature until it is re-signed.
    resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

// electron-builder's Arch enum: 0 ia32, 1 x64, 2 armv7l, 3 arm64, 4 universal.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

async function afterPack(context) {
  const fuses = await import('@electron/fuses');
  const arch = ARCH_NAMES[context.arch] ?? String(context.arch);
  const file = executablePath(context);
  await fuses.flipFuses(file, fuseConfig(fuses, context.electronPlatformName, arch));
  console.log(`  • fuses flipped  file=${file}`);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.fuseConfig = fuseConfig;
module.exports.executablePath = executablePath;
