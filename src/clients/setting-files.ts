/**
 * Reads the files that connection settings name (certificates, keys, passwords), collecting a
 * problem per unreadable file instead of throwing, so a setup is refused with every problem at
 * once, each naming its variable and file.
 */
export function settingFileReader(problems: string[], readFile: (file: string) => Buffer) {
  return (variable: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFile(file);
    } catch (err) {
      problems.push(
        `${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
      return undefined;
    }
  };
}
