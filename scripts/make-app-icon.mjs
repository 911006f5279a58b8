#!/usr/bin/env node
// Writes assets/icons/vigil-1024.png, the installers' icon, from assets/icons/vigil.png (the window icon, 256 px).
// electron-builder wants at least 512×512 for the macOS .icns and makes the Windows .ico and the Linux sizes from the
// same file. Run after changing vigil.png: node scripts/make-app-icon.mjs
import path from 'node:path';
import sharp from 'sharp';

const icons = path.join(import.meta.dirname, '..', 'assets', 'icons');
await sharp(path.join(icons, 'vigil.png'))
  .ensureAlpha()
  .resize(1024, 1024, { kernel: 'lanczos3' })
  .png({ compressionLevel: 9 })
  .toFile(path.join(icons, 'vigil-1024.png'));
console.log('wrote assets/icons/vigil-1024.png');
