// Copyright idgen authors.
//
// Runs a README sh block as written: each line in order by one bash
// (background jobs kept, a pause after each `&` as a user would take), a
// marker printed before each line so that its output can be found, and the
// first failing line ending the script with its exit code.
//   blockScript(lines, prelude)  the bash script's text
//   blockOutput(out, lines, re)  what the first line matching `re` printed
export function blockScript(lines, prelude = ['set -u']) {
  const script = [...prelude];
  lines.forEach((line, i) => {
    script.push(`printf '\\n=== ${i}\\n'`);
    if (/&\s*(#.*)?$/.test(line)) {
      script.push(line, 'sleep 2');
    } else {
      script.push(line, `rc=$?; [ $rc -eq 0 ] || { echo "=== line ${i} exited $rc"; exit 1; }`);
    }
  });
  script.push('wait', "printf '\\n=== done\\n'");
  return script.join('\n');
}

export function blockOutput(out, lines, re) {
  const i = lines.findIndex((l) => re.test(l));
  return (out.split(`\n=== ${i}\n`)[1]?.split('\n=== ')[0] ?? '').trim();
}
