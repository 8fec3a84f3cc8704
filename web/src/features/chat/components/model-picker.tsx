import { useId } from 'react';

export interface ModelPickerProps {
  /** The models the deployment allows (`/api/me`), the default first. */
  readonly models: readonly string[];
  readonly value: string;
  /** While a reply is being written the next message's model can still be changed. */
  onChange(model: string): void;
}

/** Which model answers the next message; only shown where the deployment allows more than one. */
export function ModelPicker({ models, value, onChange }: ModelPickerProps) {
  const id = useId();
  return (
    <div className="model-picker">
      <label htmlFor={id} className="model-picker__label">
        Model
      </label>
      <select
        id={id}
        className="model-picker__select"
        data-testid="model-picker"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        {models.map((model, index) => (
          <option key={model} value={model}>
            {index === 0 ? `${model} (default)` : model}
          </option>
        ))}
      </select>
    </div>
  );
}
