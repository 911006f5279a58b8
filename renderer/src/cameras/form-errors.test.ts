import { describe, expect, it } from 'vitest';
import { cameraFormError } from './form-errors';

describe('camera form errors', () => {
  it('places each error the camera API names at the input that edits that field, without its key path', () => {
    expect(cameraFormError('main.url: an rtsp:// or rtsps:// URL', 'main.url')).toEqual({
      field: 'url',
      text: 'Expected an rtsp:// or rtsps:// URL.',
    });
    expect(cameraFormError('main.path: files must be inside video.mediaFolders', 'main.path').field).toBe(
      'url',
    );
    expect(cameraFormError('A camera with id "plaza" already exists.', 'id')).toEqual({
      field: 'id',
      text: 'A camera with id "plaza" already exists.',
    });
    expect(
      cameraFormError('id: lower-case letters, digits, "-" and "_", at most 63 characters', 'id').text,
    ).toBe('Use only lower-case letters, digits, "-" and "_", at most 63 characters.');
    expect(cameraFormError('name: Too small: expected string to have >=1 characters', 'name')).toEqual({
      field: 'name',
      text: 'Required.',
    });
    expect(
      cameraFormError('main.username: Too big: expected string to have <=256 characters', 'main.username'),
    ).toEqual({ field: 'username', text: 'At most 256 characters.' });
  });

  it('keeps an error about no field of the form for the form as a whole', () => {
    expect(cameraFormError('analysis.fps: Too big: expected number to be <=30', 'analysis.fps')).toEqual({
      text: 'Too big: expected number to be <=30.',
    });
    expect(cameraFormError('The backend is not reachable.')).toEqual({
      text: 'The backend is not reachable.',
    });
  });

  it('the Id pattern is a valid regular expression under the v flag browsers compile pattern with', async () => {
    const { CAMERA_ID_PATTERN } = await import('./form-errors');
    const re = new RegExp(`^(?:${CAMERA_ID_PATTERN})$`, 'v');
    expect(re.test('front-door_2')).toBe(true);
    expect(re.test('Front Door')).toBe(false);
    expect(re.test('-x')).toBe(false);
    expect(re.test('a'.repeat(64))).toBe(false);
  });
});
