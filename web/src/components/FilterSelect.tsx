/** A labelled filter over a closed list: "Any" (no filter) or one of the options. */
export function FilterSelect<T extends string>({
  id,
  label,
  options,
  value,
  onChange,
  optionLabel = (option) => option,
}: {
  id: string;
  label: string;
  options: readonly T[];
  value: T | undefined;
  onChange: (value: T | undefined) => void;
  /** What an option reads as, where its value is a code (`queued,running`). */
  optionLabel?: (option: T) => string;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value ?? ''}
        // The options are T's own: an empty value is "Any".
        onChange={(event) => onChange((event.target.value || undefined) as T | undefined)}
      >
        <option value="">Any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {optionLabel(option)}
          </option>
        ))}
      </select>
    </>
  );
}
