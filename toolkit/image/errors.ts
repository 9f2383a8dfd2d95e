/**
 * Bad images: a name that is not there, a blob whose content does not match
 * its digest, a layer that would write outside its own directory. Each is
 * reported as one line, and nothing of it is left on the machine.
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
}
