import * as tfjs from '@tensorflow/tfjs';

/**
 * Faster WebAssembly kernels for the shapes our detection models use.
 *
 * The stock `Mean` kernel of the WebAssembly backend only reduces inner-most axes, so a spatial mean over an NHWC
 * feature map (the squeeze-and-excitation blocks of MobileNetV3, axes [1, 2]) first transposes the whole map — about a
 * quarter of CenterNet's inference time. A spatial mean is exactly a global average pool, which the backend runs
 * through XNNPACK without a copy. Other shapes fall through to the stock kernel.
 */
export function installWasmKernelOverrides(): void {
  if (installed) return;
  const stockMean = tfjs.getKernel('Mean', 'wasm');
  const avgPool = tfjs.getKernel('AvgPool', 'wasm');
  if (!stockMean || !avgPool) return;
  installed = true;
  tfjs.unregisterKernel('Mean', 'wasm');
  tfjs.registerKernel({
    kernelName: 'Mean',
    backendName: 'wasm',
    setupFunc: stockMean.setupFunc,
    kernelFunc: (args) => {
      const { inputs, attrs, backend } = args;
      const x = inputs.x as tfjs.TensorInfo | undefined;
      const { axis, keepDims } = attrs as unknown as tfjs.MeanAttrs;
      if (x && isSpatialMean(x, axis)) {
        const [n, h, w, c] = x.shape as [number, number, number, number];
        const pooled = avgPool.kernelFunc({
          inputs: { x },
          backend,
          attrs: { filterSize: [h, w], strides: [h, w], pad: 'valid' } as unknown as tfjs.NamedAttrMap,
        }) as tfjs.TensorInfo;
        if (!keepDims) (pooled as { shape: number[] }).shape = [n, c];
        return pooled;
      }
      return stockMean.kernelFunc(args);
    },
  });
}

let installed = false;

function isSpatialMean(x: tfjs.TensorInfo, axis: number | number[]): boolean {
  if (x.shape.length !== 4 || x.dtype !== 'float32') return false;
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + 4 : a)).sort();
  return axes.length === 2 && axes[0] === 1 && axes[1] === 2;
}
